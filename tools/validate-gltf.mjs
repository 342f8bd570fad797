// Validates one glTF/GLB file with the Khronos glTF validator and prints its JSON report on stdout.
// Exit code: 0 when the report has no errors, 1 when it has, 2 on usage or I/O problems.
import { readFile } from 'node:fs/promises';
import validator from 'gltf-validator';

const file = process.argv[2];
if (!file) {
  console.error('usage: node validate-gltf.mjs <file.glb>');
  process.exit(2);
}
try {
  const data = new Uint8Array(await readFile(file));
  const report = await validator.validateBytes(data, { uri: file, maxIssues: 100 });
  console.log(JSON.stringify(report, null, 2));
  process.exit(report.issues.numErrors === 0 ? 0 : 1);
} catch (e) {
  console.error(String(e));
  process.exit(2);
}
