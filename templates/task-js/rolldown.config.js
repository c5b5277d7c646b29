// Bundles src/component.js and its npm dependencies into one ES module for componentize-js;
// the `wharf:` and `wasi:` imports are the component's imports and stay as they are.
export default {
  input: "src/component.js",
  external: /^(wharf|wasi):/,
  output: { file: "dist/component.js", format: "esm" },
};
