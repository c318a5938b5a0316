"""Build steps setup.cfg cannot say: the folders as one `hailong` namespace, and compiled catalogues in the wheel."""

from __future__ import annotations

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
#: Source folders (kept at the top level of the checkout) and the data folders installed beside them.
CODE = ("survey", "forms", "analysis")
DATA = ("templates", "migrations", "translations")


#: Data inside the code folders.
CODE_DATA = {"hailong.survey": ["static/*"], "hailong.forms": ["questionnaires/*.toml"]}


def _name(folder: Path) -> str:
    return "hailong." + ".".join(folder.relative_to(HERE).parts)


def layout() -> tuple[dict[str, str], list[str], dict[str, list[str]]]:
    """Every folder mapped under `hailong.`: code packages (with an __init__.py) and data folders with their files."""
    package_dir = {f"hailong.{top}": top for top in CODE + DATA}
    names = [_name(init.parent) for top in CODE for init in sorted((HERE / top).rglob("__init__.py"))]
    data = dict(CODE_DATA)
    for top in DATA:
        for folder in sorted(p for p in [HERE / top, *(HERE / top).rglob("*")] if p.is_dir()):
            if "__pycache__" in folder.parts:
                continue
            names.append(_name(folder))
            # Catalogues are compiled into the build (below); their sources and the template stay behind.
            files = [f.name for f in folder.iterdir() if f.is_file() and f.suffix not in (".po", ".pot", ".mo", ".pyc")]
            data[_name(folder)] = files
    return package_dir, names, data


class BuildWithCatalogues(build_py):
    """Compile translations/*/LC_MESSAGES/*.po into .mo files inside the built package."""

    def run(self) -> None:
        super().run()
        from babel.messages.mofile import write_mo
        from babel.messages.pofile import read_po

        for po in (HERE / "translations").glob("*/LC_MESSAGES/*.po"):
            target = Path(self.build_lib, "hailong", po.relative_to(HERE)).with_suffix(".mo")
            target.parent.mkdir(parents=True, exist_ok=True)
            with po.open("rb") as src:
                catalog = read_po(src, locale=po.parent.parent.name)
            with target.open("wb") as out:
                write_mo(out, catalog)


package_dir, names, data = layout()
setup(package_dir=package_dir, packages=names, package_data=data, cmdclass={"build_py": BuildWithCatalogues})
