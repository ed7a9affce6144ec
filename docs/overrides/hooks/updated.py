"""MkDocs hook: the date each page was last changed, from git.

`git log -1 --format=%cs -- FILE` gives the date of the last commit that touched the page's source.
It goes into `page.meta["revision_date"]`, which Material shows at the foot of the page, and into
`page.update_date`, the <lastmod> of the page in sitemap.xml. Where git cannot tell (no git, a
tarball without history, a file not yet committed) the page simply shows no date.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def last_commit_date(path: Path) -> str | None:
    try:
        done = subprocess.run(["git", "log", "-1", "--format=%cs", "--", path.name],
                              cwd=path.parent, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None
    date = done.stdout.strip()
    return date if done.returncode == 0 and DATE.fullmatch(date) else None


def on_page_markdown(markdown: str, page, config, files, **kwargs) -> str:
    if page.file.abs_src_path and (date := last_commit_date(Path(page.file.abs_src_path))):
        page.meta["revision_date"] = date
        page.update_date = date
    return markdown
