"""The vendored imjoy-rpc JS client is the pinned, unmodified published file, with its license."""

from __future__ import annotations

import hashlib
import re
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SCRIPT = REPO / "scripts" / "vendor-imjoy-rpc-js.sh"
STATIC = REPO / "imjoy_hpc" / "gateway" / "static"
VENDOR = STATIC / "vendor"


def pinned(name: str) -> str:
    """A NAME="value" assignment from the vendoring script."""
    match = re.search(rf'^{name}="([^"]+)"$', SCRIPT.read_text(), re.MULTILINE)
    assert match, f"{SCRIPT} has no {name}=..."
    return match.group(1)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_client_matches_pinned_hash() -> None:
    expected = pinned("JS_SHA256")
    assert re.fullmatch(r"[0-9a-f]{64}", expected)
    assert sha256(VENDOR / "imjoy-rpc-socketio.js") == expected


def test_license_is_shipped_unmodified() -> None:
    license_file = VENDOR / "LICENSE.imjoy-rpc"
    assert sha256(license_file) == pinned("LICENSE_SHA256")
    assert "Permission is hereby granted" in license_file.read_text()


def test_readme_states_origin_version_and_hashes() -> None:
    readme = (VENDOR / "README.md").read_text()
    assert f"`{pinned('PACKAGE')}`" in readme
    assert pinned("VERSION") in readme
    assert pinned("JS_SHA256") in readme
    assert pinned("LICENSE_SHA256") in readme
    assert pinned("INTEGRITY") in readme


def test_check_mode_of_the_script_accepts_the_files() -> None:
    result = subprocess.run(["bash", str(SCRIPT), "--check"], check=False, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


def test_page_loads_the_vendored_client() -> None:
    index = (STATIC / "index.html").read_text()
    assert 'src="static/vendor/imjoy-rpc-socketio.js"' in index
    assert "imjoyRPCSocketIO.connectToServer" in (STATIC / "app.js").read_text()


CORE_SCRIPT = REPO / "scripts" / "vendor-imjoy-core.sh"
CORE = VENDOR / "imjoy-core"
CORE_FILES = ("imjoy-core.min.js", "imjoy-loader.js", "imjoy-rpc.min.js", "default_base_frame.html")


def core_pinned(name: str) -> str:
    match = re.search(rf'^{name}="([^"]+)"$', CORE_SCRIPT.read_text(), re.MULTILINE)
    assert match, f"{CORE_SCRIPT} has no {name}=..."
    return match.group(1)


def test_imjoy_core_is_the_pinned_package() -> None:
    assert core_pinned("PACKAGE") == "imjoy-core" and core_pinned("VERSION") == "0.14.5"
    assert core_pinned("INTEGRITY") == ("sha512-G0ybhLq57vOSM+4DhJ7A/3WSjJdbzk+WoEqg4+c5clkRhLOYY5VfI6oJ4MI664ZsVVgIinsw"
                                        "sEJWbHAWQOBxFg==")
    for name in CORE_FILES:
        expected = core_pinned("SHA256_" + re.sub(r"[.-]", "_", name))
        assert re.fullmatch(r"[0-9a-f]{64}", expected)
        assert sha256(CORE / name) == expected, name
    assert sorted(p.name for p in CORE.iterdir()) == sorted(CORE_FILES + ("LICENSE", "README.md",
                                                                          "THIRD-PARTY-LICENSES.txt"))


def test_imjoy_core_ships_its_license_and_those_of_its_bundle() -> None:
    assert sha256(CORE / "LICENSE") == core_pinned("LICENSE_SHA256")
    assert "MIT License" in (CORE / "LICENSE").read_text()
    notice = (CORE / "THIRD-PARTY-LICENSES.txt").read_text()
    assert sha256(CORE / "THIRD-PARTY-LICENSES.txt") == core_pinned("NOTICE_SHA256")
    for package in ("lodash@", "js-yaml@", "ajv@", "dompurify@", "pouchdb-browser@", "socket.io-client@", "axios@"):
        assert f"\n{package}" in notice, package
    assert "Apache License" in notice  # DOMPurify's dual license, verbatim
    readme = (CORE / "README.md").read_text()
    for name in CORE_FILES + ("LICENSE", "THIRD-PARTY-LICENSES.txt"):
        assert name in readme
    assert core_pinned("INTEGRITY") in readme


def test_check_mode_of_the_core_script_accepts_the_files() -> None:
    result = subprocess.run(["bash", str(CORE_SCRIPT), "--check"], check=False, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr


def test_workspace_loads_the_vendored_core_and_no_other_origin() -> None:
    page = (STATIC / "workspace.html").read_text()
    assert 'src="static/vendor/imjoy-core/imjoy-core.min.js"' in page
    scripts = re.findall(r'<script[^>]*src="([^"]+)"', page)
    assert scripts and all(not s.startswith(("http:", "https:", "//")) for s in scripts), scripts
    assert 'default_rpc_base_url: "/static/vendor/imjoy-core/"' in (STATIC / "workspace.js").read_text()
