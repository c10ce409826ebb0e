"""Plugin files: the ImJoy format and plain .py plugins parse into validated specs; bad files get named errors."""

from __future__ import annotations

import hashlib
import json
import traceback
from pathlib import Path

import pytest

from imjoy_hpc.plugins.catalog import examples_dir
from imjoy_hpc.plugins.parser import PluginError, parse_plugin
from imjoy_hpc.plugins.requirements import RequirementSyntaxError, parse_requirements

EXAMPLES = examples_dir()


def imjoy_file(config: dict | str, scripts: list[tuple[dict, str]] | None = None, *, lang: str = "json",
               extra: str = "") -> str:
    """Source of an .imjoy.html file with the given config and (attrs, code) scripts."""
    body = config if isinstance(config, str) else json.dumps(config, indent=2)
    if scripts is None:
        scripts = [({"lang": "python"}, "\nfrom imjoy import api\napi.export(object())\n")]
    parts = [f'<config lang="{lang}">\n{body}\n</config>\n']
    for attrs, code in scripts:
        attr_text = "".join(f' {k}="{v}"' for k, v in attrs.items())
        parts.append(f"<script{attr_text}>{code}</script>\n")
    return extra + "".join(parts)


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode())
    return path


# ----------------------------------------------------------------------------------------------- the examples

@pytest.mark.parametrize("file, name, tags", [
    ("hello.imjoy.html", "Hello", ["en", "fr"]),
    ("image.imjoy.html", "Image Filter", []),
    ("progress.py", "Progress", []),
    ("fanout.imjoy.html", "Fan Out", []),
    ("requirements-demo.imjoy.html", "Requirements Demo", []),
])
def test_every_example_parses(file, name, tags):
    spec = parse_plugin(EXAMPLES / file)
    assert spec.name == name
    assert spec.type == "native-python"
    assert spec.tags == tags
    assert spec.lang == "python"
    assert "from imjoy import api" in spec.script and "api.export(" in spec.script
    assert spec.docs.strip(), "every example documents itself"
    assert spec.config["name"] == name and spec.config["tag"] == spec.tag
    assert spec.source_hash == hashlib.sha256((EXAMPLES / file).read_bytes()).hexdigest()
    compile(spec.script, file, "exec")


def test_examples_are_all_covered():
    files = {p.name for p in EXAMPLES.iterdir() if p.name.endswith((".imjoy.html", ".py"))}
    assert files == {"hello.imjoy.html", "image.imjoy.html", "progress.py", "fanout.imjoy.html",
                     "requirements-demo.imjoy.html"}
    assert parse_plugin(EXAMPLES / "requirements-demo.imjoy.html").requirements.pip == ("tabulate==0.9.0",)


def test_hello_tag_selects_per_tag_values():
    default = parse_plugin(EXAMPLES / "hello.imjoy.html")
    french = parse_plugin(EXAMPLES / "hello.imjoy.html", tag="fr")
    assert default.tag == "en" and french.tag == "fr"
    assert default.description.startswith("Says hello")
    assert french.description.startswith("Dit bonjour")
    assert french.config["description"] == french.description and french.config["tag"] == "fr"


def test_unknown_tag_lists_the_tags():
    with pytest.raises(PluginError) as err:
        parse_plugin(EXAMPLES / "hello.imjoy.html", tag="de")
    assert "hello.imjoy.html" in str(err.value)
    assert 'unknown tag "de"' in str(err.value) and "en, fr" in str(err.value)


# ------------------------------------------------------------------------------------------ tags and scripts

TAGGED = {
    "name": "Tagged",
    "type": "native-python",
    "tags": ["cpu", "gpu"],
    "requirements": {"cpu": ["pip:tinycpu"], "gpu": ["pip:tinygpu extra"]},
    "flags": {"gpu": ["single-instance"], "cpu": []},
    "hpc": {"cpu": {"cores": 2}, "gpu": {"gpus": 1, "walltime": "01:00:00"}},
    "description": "tag-independent",
    "custom": {"cpu": 1, "gpu": 2},
}
TAGGED_SCRIPTS = [({"lang": "python", "tag": "cpu"}, "\nWHICH = 'cpu'\n"),
                  ({"lang": "python", "tag": "gpu"}, "\nWHICH = 'gpu'\n")]


def test_tag_selects_script_and_configurable_fields(tmp_path):
    path = write(tmp_path, "tagged.imjoy.html", imjoy_file(TAGGED, TAGGED_SCRIPTS))
    cpu = parse_plugin(path)
    gpu = parse_plugin(path, tag="gpu")
    assert cpu.tag == "cpu" and "WHICH = 'cpu'" in cpu.script
    assert gpu.tag == "gpu" and "WHICH = 'gpu'" in gpu.script
    assert cpu.requirements.pip == ("tinycpu",) and gpu.requirements.pip == ("tinygpu", "extra")
    assert cpu.config["requirements"] == ["pip:tinycpu"]
    assert cpu.flags == frozenset() and gpu.flags == {"single-instance"}
    assert cpu.hpc == {"cores": 2} and gpu.hpc == {"gpus": 1, "walltime": "01:00:00"}
    # fields outside the configurable list stay as written
    assert gpu.config["custom"] == {"cpu": 1, "gpu": 2}


def test_config_tag_sets_the_default(tmp_path):
    path = write(tmp_path, "tagged.imjoy.html", imjoy_file(dict(TAGGED, tag="gpu"), TAGGED_SCRIPTS))
    assert parse_plugin(path).tag == "gpu"
    assert parse_plugin(path, tag="cpu").tag == "cpu"


def test_untagged_script_serves_every_tag_and_missing_values_warn(tmp_path):
    config = {"name": "T", "type": "native-python", "tags": ["a", "b"], "requirements": {"a": ["pip:x"]}}
    spec = parse_plugin(write(tmp_path, "t.imjoy.html", imjoy_file(config)), tag="b")
    assert spec.requirements.pip == () and spec.config["requirements"] == []
    assert any('"requirements" has no value for tag "b"' in w for w in spec.warnings)


def test_hpc_object_is_not_mistaken_for_tag_keys(tmp_path):
    config = {"name": "H", "type": "native-python", "tags": ["cores"], "hpc": {"cores": 4, "memory": "8GB"}}
    spec = parse_plugin(write(tmp_path, "h.imjoy.html", imjoy_file(config)))
    assert spec.hpc == {"cores": 4, "memory": "8GB"}


def test_hpc_renew_makes_a_plugin_renewable_and_asks_no_resource(tmp_path):
    config = {"name": "R", "type": "native-python", "hpc": {"cores": 2, "renew": True}}
    spec = parse_plugin(write(tmp_path, "r.imjoy.html", imjoy_file(config)))
    assert spec.renew is True and spec.hpc == {"cores": 2}  # the resource request stays free of it
    assert parse_plugin(write(tmp_path, "n.imjoy.html", imjoy_file({**config, "hpc": {"cores": 2}}))).renew is False
    with pytest.raises(PluginError, match='config field "hpc.renew" must be true or false, got str'):
        parse_plugin(write(tmp_path, "s.imjoy.html", imjoy_file({**config, "hpc": {"renew": "yes"}})))


def test_yaml_config(tmp_path):
    config = "name: Yaml Plugin\ntype: native-python\nversion: 1.5\ntags: [x]\nflags: [allow-detach]\n" \
             "requirements:\n  - pip:a\n  - b\n"
    spec = parse_plugin(write(tmp_path, "y.imjoy.html", imjoy_file(config, lang="yaml")))
    assert spec.name == "Yaml Plugin" and spec.version == "1.5" and spec.tag == "x"
    assert spec.flags == {"allow-detach"} and spec.requirements.pip == ("a", "b")


def test_script_content_is_byte_exact(tmp_path):
    code = ("\r\nclass P:\r\n\tdef f(self, a, b):\r\n\t\tif a < b and b > 0:  \r\n"
            "\t\t\treturn '</div><p>' + \"<config>\" + '<b>'\r\n"
            "\r\n    # trailing spaces and a tab\t \r\n")
    text = ("<!-- a comment with <script> inside -->\n"
            + imjoy_file({"name": "Exact", "type": "native-python"}, [({"lang": "python"}, code)],
                         extra="<docs>\nDocs with <b>html</b> and </div>\n</docs>\n"))
    spec = parse_plugin(write(tmp_path, "exact.imjoy.html", text))
    assert spec.script == code
    assert "<b>html</b>" in spec.docs


def test_script_line_maps_tracebacks_to_the_file(tmp_path):
    code = "\ndef boom():\n    raise RuntimeError('here')\n"
    path = write(tmp_path, "lines.imjoy.html", imjoy_file({"name": "L"}, [({"lang": "python"}, code)]))
    spec = parse_plugin(path)
    namespace: dict = {}
    exec(compile("\n" * (spec.script_line - 1) + spec.script, str(path), "exec"), namespace)
    with pytest.raises(RuntimeError) as err:
        namespace["boom"]()
    line = traceback.extract_tb(err.tb)[-1].lineno
    assert path.read_text().splitlines()[line - 1].strip() == "raise RuntimeError('here')"


def test_other_blocks_are_kept(tmp_path):
    extra = ('<window lang="html">\n<div id="w"></div>\n</window>\n<style>.x{color:red}</style>\n'
             '<attachment name="data.csv">a,b\n1,2\n</attachment>\n<link rel="stylesheet" href="x.css">\n')
    spec = parse_plugin(write(tmp_path, "blocks.imjoy.html", imjoy_file({"name": "B"}, extra=extra)))
    assert spec.windows == ['\n<div id="w"></div>\n'] and spec.styles == [".x{color:red}"]
    assert spec.attachments == {"data.csv": "a,b\n1,2\n"}


def test_web_python_runs_as_python(tmp_path):
    spec = parse_plugin(write(tmp_path, "w.imjoy.html", imjoy_file({"name": "W", "type": "web-python"})))
    assert spec.type == "web-python"


def test_source_text_is_accepted_and_detected():
    text = imjoy_file({"name": "From Text", "type": "native-python"})
    spec = parse_plugin(text, filename="mem.imjoy.html")
    assert spec.name == "From Text" and spec.source_path is None and spec.format == "imjoy"
    assert spec.source_hash == hashlib.sha256(text.encode()).hexdigest()
    py = parse_plugin("IMJOY_CONFIG = {'name': 'Py Text'}\nfrom imjoy import api\n")
    assert py.format == "python" and py.name == "Py Text"


def test_source_hash_follows_the_content(tmp_path):
    path = write(tmp_path, "h.imjoy.html", imjoy_file({"name": "H", "version": "1"}))
    first = parse_plugin(path).source_hash
    write(tmp_path, "h.imjoy.html", imjoy_file({"name": "H", "version": "2"}))
    assert parse_plugin(path).source_hash != first


# -------------------------------------------------------------------------------------------- plain .py files

def test_python_file_defaults(tmp_path):
    path = write(tmp_path, "my_tool.py", "from imjoy import api\n\nclass P:\n    pass\n\napi.export(P())\n")
    spec = parse_plugin(path)
    assert spec.name == "my_tool" and spec.type == "native-python" and spec.format == "python"
    assert spec.script == path.read_text() and spec.script_line == 1 and spec.requirements.pip == ()


def test_python_file_config_and_tags(tmp_path):
    text = ('IMJOY_CONFIG: dict = {\n    "name": "Py", "tags": ["small", "large"],\n'
            '    "hpc": {"small": {"cores": 1}, "large": {"cores": 8, "memory": "16GB"}},\n'
            '    "requirements": ["pip:tiny"],\n}\nfrom imjoy import api\n')
    path = write(tmp_path, "py.py", text)
    assert parse_plugin(path).hpc == {"cores": 1}
    large = parse_plugin(path, tag="large")
    assert large.hpc == {"cores": 8, "memory": "16GB"} and large.requirements.pip == ("tiny",)


# ---------------------------------------------------------------------------------------------- named errors

BASE = {"name": "Bad", "type": "native-python"}

BAD_IMJOY = [
    ("tags int", imjoy_file(dict(BASE, tags=5)), 'config field "tags" must be a list of strings, got int'),
    ("tags item", imjoy_file(dict(BASE, tags=["a", 3])), 'config field "tags" must be a list of strings, got an item of int'),
    ("bad json", '<config lang="json">\n{\n  "name": "x",\n  "type": native\n}\n</config>\n<script lang="python">\nx=1\n</script>',
     "line 4: invalid JSON in <config>"),
    ("bad yaml", '<config lang="yaml">\nname: x\ntype: [native\n</config>\n<script lang="python">\nx=1\n</script>',
     "invalid YAML in <config>"),
    ("config lang", imjoy_file("name = 'x'", lang="toml"), '<config lang="toml"> is not supported'),
    ("no config", '<script lang="python">\nx = 1\n</script>\n', "missing <config> block"),
    ("no script", '<config lang="json">\n{"name": "x"}\n</config>\n', "missing <script> block"),
    ("unclosed", '<config lang="json">\n{"name": "x"}\n</config>\n<script lang="python">\nx = 1\n',
     "line 4: <script> block is not closed"),
    ("two configs", imjoy_file(BASE) + '<config lang="json">{}</config>', "more than one <config> block"),
    ("javascript", imjoy_file(BASE, [({"lang": "javascript"}, "api.export({})")]),
     'has lang="javascript"; imjoy-hpc runs <script lang="python"> only'),
    ("no script for tag", imjoy_file(dict(BASE, tags=["a", "b"], tag="b"), [({"lang": "python", "tag": "a"}, "\nx = 1\n")]),
     'no <script> block for tag "b"'),
    ("script tag unknown", imjoy_file(dict(BASE, tags=["a"]), [({"lang": "python", "tag": "z"}, "\nx = 1\n")]),
     '<script tag="z"> names a tag not in the config\'s tags'),
    ("empty script", imjoy_file(BASE, [({"lang": "python"}, "\n  \n")]), "the <script> block is empty"),
    ("syntax", imjoy_file(BASE, [({"lang": "python"}, "\ndef f(:\n    pass\n")]), "invalid Python in <script>"),
    ("flags value", imjoy_file(dict(BASE, flags=["single-instance", "turbo"])),
     "config field \"flags\" has unknown value(s) 'turbo'"),
    ("flags type", imjoy_file(dict(BASE, flags="single-instance")),
     'config field "flags" must be a list of strings, got str'),
    ("window type", imjoy_file(dict(BASE, type="window")), 'plugin type "window" runs in the browser'),
    ("other type", imjoy_file(dict(BASE, type="julia")), 'config field "type" is "julia", which imjoy-hpc cannot run'),
    ("no name", imjoy_file({"type": "native-python"}), 'config field "name" is missing'),
    ("name type", imjoy_file({"name": 3}), 'config field "name" must be a string, got int'),
    ("config list", imjoy_file("[1, 2]"), "the config must be an object (mapping), got list"),
    ("unknown tag default", imjoy_file(dict(BASE, tags=["a"], tag="b")), 'config field "tag" is "b"'),
    ("duplicate tags", imjoy_file(dict(BASE, tags=["a", "a"])), 'config field "tags" lists a more than once'),
    ("requirements kind", imjoy_file(dict(BASE, requirements=["npm:left-pad"])),
     "config field \"requirements\": requirement 'npm:left-pad': unknown kind 'npm'"),
    ("requirements type", imjoy_file(dict(BASE, requirements=[1])),
     'config field "requirements": requirement entries must be strings, got int'),
    ("pip option", imjoy_file(dict(BASE, requirements=["pip:--index-url http://x pkg"])),
     "pip option '--index-url' is not allowed"),
    ("hpc type", imjoy_file(dict(BASE, hpc=["cores"])), 'config field "hpc" must be an object, got list'),
    ("hpc cores", imjoy_file(dict(BASE, hpc={"cores": "four"})), 'config field "hpc.cores" must be an integer >= 1, got str'),
    ("hpc cores bool", imjoy_file(dict(BASE, hpc={"cores": True})), 'config field "hpc.cores" must be an integer >= 1, got bool'),
    ("hpc gpus", imjoy_file(dict(BASE, hpc={"gpus": -1})), 'config field "hpc.gpus" must be an integer >= 0'),
    ("hpc memory", imjoy_file(dict(BASE, hpc={"memory": "lots"})), 'config field "hpc.memory" must be a size like "4GB"'),
    ("hpc walltime", imjoy_file(dict(BASE, hpc={"walltime": "one hour"})), 'config field "hpc.walltime" must be a time'),
    ("hpc key", imjoy_file(dict(BASE, hpc={"nodes": 2})), 'config field "hpc.nodes" is unknown; allowed: profile, cores'),
    ("inputs", imjoy_file(dict(BASE, inputs="image")), 'config field "inputs" must be an object or a list'),
    ("attachment name", imjoy_file(BASE, extra="<attachment>x</attachment>\n"), '<attachment> needs a name="..."'),
]


@pytest.mark.parametrize("case, text, message", BAD_IMJOY, ids=[c[0] for c in BAD_IMJOY])
def test_invalid_imjoy_files_get_named_errors(tmp_path, case, text, message):
    path = write(tmp_path, "bad.imjoy.html", text)
    with pytest.raises(PluginError) as err:
        parse_plugin(path)
    assert str(err.value).startswith(f"{path}: "), str(err.value)
    assert message in str(err.value)


def test_yaml_error_names_the_file_line(tmp_path):
    text = '<docs>\nx\n</docs>\n<config lang="yaml">\nname: x\ntype: [native\nversion: 1\n</config>\n<script>\nx=1\n</script>'
    with pytest.raises(PluginError) as err:
        parse_plugin(write(tmp_path, "y.imjoy.html", text))
    line = int(str(err.value).split("line ")[1].split(":")[0])
    assert 6 <= line <= 8  # the unclosed flow sequence starts on line 6; YAML notices it by line 8


BAD_PYTHON = [
    ("syntax", "def f(:\n    pass\n", "line 1: invalid Python"),
    ("not literal", "import os\nIMJOY_CONFIG = {'name': os.getcwd()}\n", "line 2: IMJOY_CONFIG must be a literal dict"),
    ("not dict", "IMJOY_CONFIG = ['name']\n", "line 1: IMJOY_CONFIG must be a dict, got list"),
    ("twice", "IMJOY_CONFIG = {}\nIMJOY_CONFIG = {}\n", "IMJOY_CONFIG is assigned more than once (lines 1, 2)"),
    ("field", "IMJOY_CONFIG = {'tags': 5}\n", 'config field "tags" must be a list of strings, got int'),
    ("empty", "\n\n", "the file is empty"),
]


@pytest.mark.parametrize("case, text, message", BAD_PYTHON, ids=[c[0] for c in BAD_PYTHON])
def test_invalid_python_plugins_get_named_errors(tmp_path, case, text, message):
    path = write(tmp_path, "bad.py", text)
    with pytest.raises(PluginError) as err:
        parse_plugin(path)
    assert str(err.value).startswith(f"{path}: ") and message in str(err.value), str(err.value)


def test_missing_file_and_not_utf8(tmp_path):
    with pytest.raises(PluginError, match="nothere.imjoy.html: plugin file not found"):
        parse_plugin(tmp_path / "nothere.imjoy.html")
    path = tmp_path / "latin.py"
    path.write_bytes(b"# caf\xe9\n")
    with pytest.raises(PluginError, match="latin.py: not UTF-8 text"):
        parse_plugin(path)


# ------------------------------------------------------------------------------------- requirements grammar

def test_requirements_grammar():
    reqs = parse_requirements([
        "pip:numpy>=1.20 'scipy<2'", "tifffile", "git+https://example.org/a/b.git", "conda:fftw cudatoolkit=11",
        "repo:https://example.org/group/tools.git", "repo:https://example.org/x.git mydir", "cmd:make -C src",
        "pip: -U tinypkg", "numpy",
    ])
    assert reqs.pip == ("numpy>=1.20", "scipy<2", "tifffile", "git+https://example.org/a/b.git", "tinypkg", "numpy")
    assert reqs.conda == ("fftw", "cudatoolkit=11")
    assert reqs.repos == (("https://example.org/group/tools.git", "tools"), ("https://example.org/x.git", "mydir"))
    assert reqs.commands == ("make -C src",)
    assert [r.kind for r in reqs.entries] == ["pip", "pip", "pip", "conda", "repo", "repo", "cmd", "pip", "pip"]
    assert parse_requirements("pip:a b").pip == ("a", "b")
    assert not parse_requirements(None) and not parse_requirements([])


@pytest.mark.parametrize("value, message", [
    ({"a": 1}, "must be a list of strings, got dict"),
    (["repo:a b c"], "expected 'repo:<git url> [directory]'"),
    (["repo:https://x/y.git ../escape"], "must be a plain name"),
    (["pip:-r requirements.txt"], "pip option '-r' is not allowed"),
    (["pip:'unbalanced"], "No closing quotation"),
])
def test_requirements_grammar_errors(value, message):
    with pytest.raises(RequirementSyntaxError) as err:
        parse_requirements(value)
    assert message in str(err.value)


def test_empty_requirement_entries_are_ignored_as_the_legacy_engine_did():
    reqs = parse_requirements(["", "pip:", "numpy", "conda:  ", "  ", "cmd:", "repo:"])
    assert reqs.to_list() == ["numpy"] and reqs.pip == ("numpy",)
    assert not parse_requirements("")


@pytest.mark.parametrize("hpc, usable", [
    ({"cores": 4}, True), ({"cores": "4"}, True), ({"cores": 0}, False), ({"cores": "four"}, False),
    ({"gpus": 0}, True), ({"gpus": -1}, False), ({"memory": "8GB"}, True), ({"memory": 0}, False),
    ({"memory": "0GB"}, False), ({"walltime": "2-00:00:00"}, True), ({"walltime": 90}, True),
    ({"walltime": "one hour"}, False),
])
def test_a_plugin_file_and_a_load_request_accept_the_same_resource_values(tmp_path, hpc, usable):
    """One check per value (imjoy_hpc/resources.py): what a plugin's `hpc` field may say is what load_plugin's
    options may ask of a profile."""
    from imjoy_hpc.cluster import resolve

    path = tmp_path / "p.imjoy.html"
    path.write_text(imjoy_file(dict(BASE, hpc=hpc)))
    site = {"profiles": {"p": {"backend": "slurm", "cores": 1, "memory": "1GB"}}}
    outcomes = []
    for attempt in (lambda: parse_plugin(path), lambda: resolve(site, "p", hpc)):
        try:
            attempt()
            outcomes.append(True)
        except (PluginError, ValueError):
            outcomes.append(False)
    assert outcomes == [usable, usable]
