"""The molecule/docker image builder's pure parts: which Debian mirror it picks, and its cache tag."""
import importlib.util
from pathlib import Path

SPEC = importlib.util.spec_from_file_location(
    "build_image", Path(__file__).resolve().parents[2] / "docker" / "build_image.py")
build_image = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(build_image)

DEB822 = """Types: deb
# http://snapshot.debian.org/archive/debian/20250520T000000Z
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
"""


def test_deb822_mirror_of_the_suite():
    assert build_image.debian_mirrors([DEB822], "bookworm") == ["http://deb.debian.org/debian"]


def test_one_line_format_with_options_and_comments():
    text = ("# deb http://old.example/debian bookworm main\n"
            "deb [arch=amd64 signed-by=/k.gpg] http://mirror.example/debian bookworm main contrib\n"
            "deb-src http://src.example/debian bookworm main\n"
            "deb http://other.example/debian bookworm contrib\n")
    assert build_image.debian_mirrors([text], "bookworm") == ["http://mirror.example/debian"]


def test_disabled_stanza_other_suite_and_other_components_are_ignored():
    text = ("Types: deb\nURIs: http://off.example/debian\nSuites: bookworm\nComponents: main\nEnabled: no\n\n"
            "Types: deb\nURIs: http://trixie.example/debian\nSuites: trixie\nComponents: main\n\n"
            "Types: deb\nURIs: https://deb.nodesource.com/node_20.x\nSuites: nodistro\nComponents: main\n")
    assert build_image.debian_mirrors([text], "bookworm") == []


def test_first_of_several_sources_wins_and_duplicates_collapse():
    one_line = "deb http://deb.debian.org/debian bookworm main\n"
    assert build_image.debian_mirrors([one_line, DEB822], "bookworm") == ["http://deb.debian.org/debian"]


def test_tag_depends_on_every_input_and_only_on_them():
    values = {"suite": "bookworm", "mirror": "http://m/debian", "packages": "python3", "pyroute2": "pyroute2>=0.9",
              "script": "0" * 64}
    tag = build_image.tag(values)
    assert tag.startswith("nfdk-fabric-host:") and tag == build_image.tag(dict(values))
    for key in values:
        assert build_image.tag(dict(values, **{key: values[key] + "x"})) != tag
