// The CodeMirror 6 pieces the workspace's plugin editor uses, bundled by scripts/vendor-codemirror.sh into one
// file (global `CM`); the packages themselves are bundled unmodified.
export { EditorView, keymap, Decoration } from "@codemirror/view";
export { EditorState, StateField, StateEffect } from "@codemirror/state";
export { basicSetup } from "codemirror";
export { indentWithTab } from "@codemirror/commands";
export { setDiagnostics, lintGutter } from "@codemirror/lint";
export { python, pythonLanguage } from "@codemirror/lang-python";
export { javascript, javascriptLanguage } from "@codemirror/lang-javascript";
export { html } from "@codemirror/lang-html";
export { json } from "@codemirror/lang-json";
