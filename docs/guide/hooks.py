"""MkDocs hook of the user guide: links from the docs to the repository's own files.

The generated references (docs/elements.md) link to the source file of each element's
function, relative to the repository, so they work when browsing it; those files are not
part of the site. This hook keeps such a link's text, with the repository path shown on
hover, and reports a link whose target does not exist (a warning, so `mkdocs build
--strict` fails on it as on any broken link inside the docs).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from mkdocs.plugins import get_plugin_logger

LOG = get_plugin_logger(__name__)
LINK = re.compile(r"(?<!!)\[(?P<text>[^\]\n]+)\]\((?P<target>[^)\s]+)\)")
EXTERNAL = re.compile(r"^([a-z][a-z0-9+.-]*:|#|/)", re.IGNORECASE)


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    """The page's markdown with each link out of the docs folder made plain text."""
    docs = Path(config["docs_dir"]).resolve()
    repository = Path(config["config_file_path"]).resolve().parent
    source = Path(page.file.abs_src_path).parent

    def plain(match: re.Match[str]) -> str:
        target = match["target"]
        if EXTERNAL.match(target):
            return match[0]
        path = (source / target.split("#")[0]).resolve()
        if path.is_relative_to(docs):
            return match[0]  # mkdocs checks links inside the docs itself
        if not path.is_relative_to(repository) or not path.exists():
            LOG.warning(
                "%s links to %s, which is not a file of the repository", page.file.src_uri, target
            )
            return match[0]
        return f'<span title="{path.relative_to(repository).as_posix()}">{match["text"]}</span>'

    return LINK.sub(plain, markdown)
