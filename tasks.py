"""slicelab's command line: `inv --list` shows every task. The tasks live in lab/tasks/."""

from invoke import Collection

from lab.tasks import dev_tasks, lab_tasks, migrate_tasks, report_tasks, scenario_tasks

namespace = Collection()
namespace.add_collection(Collection.from_module(lab_tasks, name="lab"))
namespace.add_collection(Collection.from_module(migrate_tasks, name="migrate"))
scenario = Collection("scenario")
scenario.add_task(scenario_tasks.list_, name="list")
scenario.add_task(scenario_tasks.run)
namespace.add_collection(scenario)
namespace.add_collection(Collection.from_module(report_tasks, name="report"))
namespace.add_task(scenario_tasks.demo)
namespace.add_task(dev_tasks.test)
namespace.add_task(dev_tasks.lint)
