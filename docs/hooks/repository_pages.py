"""MkDocs hook: the site's pages that live in the repository outside ``docs/``.

The top-level README, the folder READMEs (curvature conventions, demos, distributed) and
the tutorials stay where they are, edited beside the code they describe; this hook adds
them to the site under the names in ``PAGES`` (and ``tutorials/NN_name.py`` for each
tutorial, which mkdocs-jupyter renders), so that every edit to them reaches the site.

Links in any page are written for the repository (relative to the file that holds them).
``on_page_markdown`` maps each relative link to the site: a link to a file that is a page
becomes a link to that page, one into ``docs/`` a link relative to the site's root, and one
to any other file of the repository its path in code (the site does not copy source files).
"""
import os
import posixpath
import re

from markdown import Extension
from markdown.preprocessors import Preprocessor
from mkdocs.plugins import event_priority
from mkdocs.structure.files import File

REPOSITORY = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TUTORIALS = "demos/tutorials"
PAGES = {
    "index.md": "README.md",
    "curvature.md": "minigrad/curvature/README.md",
    "demos.md": "demos/README.md",
    "distributed.md": "minigrad/distributed/README.md",
    "tutorials/index.md": f"{TUTORIALS}/README.md",
}
LINK = re.compile(r"(!?)\[([^\]]*)\]\(([^)\s]+)\)")


def _site_pages():
    """``{site path: repository path}`` of every page kept outside ``docs/``."""
    pages = dict(PAGES)
    for name in sorted(os.listdir(os.path.join(REPOSITORY, TUTORIALS))):
        if re.fullmatch(r"\d\d_\w+\.py", name):
            pages[f"tutorials/{name}"] = f"{TUTORIALS}/{name}"
    return pages


class DoctestBlocks(Preprocessor):
    """Doctest examples in docstrings (``>>>`` lines and their output, up to a blank line) become
    ``pycon`` code blocks, instead of nested quotes whose ``[...]`` outputs read as links."""

    def run(self, lines):
        out, block, fenced = [], None, False
        for line in lines + [""]:
            if block is not None:
                if line.strip():
                    block.append(line)
                    continue
                indent = min(len(l) - len(l.lstrip()) for l in block)
                out += ["", "```pycon"] + [l[indent:] for l in block] + ["```"]
                block = None
            if line.lstrip().startswith("```"):
                fenced = not fenced
            if not fenced and line.lstrip().startswith(">>> "):
                block = [line]
                continue
            out.append(line)
        return out[:-1]


class DoctestExtension(Extension):
    def extendMarkdown(self, md):
        md.preprocessors.register(DoctestBlocks(md), "doctest_blocks", 27)


def on_config(config):
    """Doctests render as code. The tutorials' kernels import ``exercises`` and ``solutions``
    from their folder, and mkdocs-jupyter starts them in the folder mkdocs runs in: their
    folder goes first on ``PYTHONPATH``."""
    folder = os.path.join(REPOSITORY, TUTORIALS)
    paths = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p and p != folder]
    os.environ["PYTHONPATH"] = os.pathsep.join([folder] + paths)
    config.markdown_extensions.append(DoctestExtension())
    return config


@event_priority(100)          # before mkdocs-jupyter turns the tutorials into notebook pages
def on_files(files, config):
    for site_path, repository_path in _site_pages().items():
        if site_path.endswith(".py"):
            # a file read from its folder (mkdocs-jupyter reads src_dir/src_uri, not a generated
            # file's path): demos/ + tutorials/NN_name.py
            files.append(File(site_path, os.path.join(REPOSITORY, "demos"), config["site_dir"],
                              config["use_directory_urls"]))
        else:
            files.append(File.generated(config, site_path,
                                        abs_src_path=os.path.join(REPOSITORY, repository_path)))
    return files


def _site_link(target, page_path, repository_path, site_of):
    """The site link for ``target`` as written in ``repository_path``, or None if it has none."""
    path, hash_, anchor = target.partition("#")
    resolved = posixpath.normpath(posixpath.join(posixpath.dirname(repository_path), path))
    resolved = resolved.rstrip("/")
    if resolved in site_of:
        site_path = site_of[resolved]
    elif resolved + "/README.md" in site_of:
        site_path = site_of[resolved + "/README.md"]
    elif resolved.startswith("docs/"):
        site_path = resolved[len("docs/"):]
    else:
        return None
    return posixpath.relpath(site_path, posixpath.dirname(page_path)) + hash_ + anchor


def on_page_markdown(markdown, page, config, files):
    pages = _site_pages()
    site_of = {repository: site for site, repository in pages.items()}
    page_path = page.file.src_uri
    repository_path = pages.get(page_path, f"docs/{page_path}")

    def rewrite(match):
        bang, text, target = match.groups()
        if re.match(r"[a-z]+:|#|/", target):
            return match.group(0)
        link = _site_link(target, page_path, repository_path, site_of)
        if link is None:
            shown = posixpath.normpath(posixpath.join(posixpath.dirname(repository_path), target))
            return f"{text} (`{shown}`)" if text.strip("`") != shown else f"`{shown}`"
        return f"{bang}[{text}]({link})"

    return LINK.sub(rewrite, markdown)
