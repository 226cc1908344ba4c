"""slicelab's command line: `inv --list` shows every task. The tasks live in lab/tasks/."""

from invoke import Collection

from lab.tasks import lab_tasks

namespace = Collection()
namespace.add_collection(Collection.from_module(lab_tasks, name="lab"))
