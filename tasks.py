"""slicelab's command line: `inv --list` shows every task. The tasks live in lab/tasks/."""

from invoke import Collection

from lab.tasks import dev_tasks, lab_tasks

namespace = Collection()
namespace.add_collection(Collection.from_module(lab_tasks, name="lab"))
namespace.add_task(dev_tasks.test)
namespace.add_task(dev_tasks.lint)
