"""The application at an earlier commit, to serve beside the current code in the same run: a
detached git worktree of the commit, served by its own gunicorn against the same database.

The two share one database only when their migrations are the same files (by name): the earlier
code then reads the schema it expects. When they differ, the comparison is refused rather than
run against a schema the earlier code does not know.
"""

import shutil
import subprocess
import tempfile
from pathlib import Path

from benches.support import REPO_ROOT


def git(*command, cwd=REPO_ROOT):
    return subprocess.run(  # noqa: S603 - fixed arguments
        ["git", *command],  # noqa: S607 - git from PATH
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def default_base():
    """The merge-base with main when this branch has commits of its own, else HEAD~1."""
    head = git("rev-parse", "HEAD")
    try:
        merge_base = git("merge-base", "HEAD", "main")
    except subprocess.CalledProcessError:
        merge_base = head
    return merge_base if merge_base != head else git("rev-parse", "HEAD~1")


def migration_names(rev):
    return sorted(path for path in git("ls-tree", "-r", "--name-only", rev).splitlines() if "/migrations/0" in path)


class BaseCheckout:
    """``git worktree add --detach`` of ``rev`` in a temporary folder; removed by ``remove``."""

    def __init__(self, rev):
        self.rev = git("rev-parse", "--short", rev)
        if migration_names(self.rev) != migration_names("HEAD"):
            raise SystemExit(
                f"the migrations at {self.rev} are not those of HEAD: the earlier code cannot share the database"
            )
        self.folder = Path(tempfile.mkdtemp(prefix=f"bench-base-{self.rev}-"))
        self.path = self.folder / "app"
        git("worktree", "add", "--detach", str(self.path), self.rev)

    def remove(self):
        subprocess.run(  # noqa: S603 - fixed arguments
            ["git", "worktree", "remove", "--force", str(self.path)],  # noqa: S607
            cwd=REPO_ROOT,
            capture_output=True,
            check=False,
        )
        shutil.rmtree(self.folder, ignore_errors=True)
