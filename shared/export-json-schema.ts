// Issue 7 — the export format as a JSON Schema (draft 2020-12), generated from PbxExportSchema with zod 4's
// z.toJSONSchema, so the published document is the code. `npm run schema` writes docs/export.schema.json; a unit
// test checks that the committed file equals a fresh generation.
import { z } from 'zod';
import { EXPORT_FORMAT, EXPORT_VERSION, PbxExportSchema } from './export.js';

export const EXPORT_SCHEMA_ID = `https://pbx-warden.invalid/schemas/${EXPORT_FORMAT}-v${EXPORT_VERSION}.schema.json`;

export function exportJsonSchema(): Record<string, unknown> {
  // output: the document as written (no defaults or coercions apply to an export)
  const js = z.toJSONSchema(PbxExportSchema, { target: 'draft-2020-12', io: 'output' }) as Record<string, unknown>;
  const { $schema, ...rest } = js;
  return {
    $schema,
    $id: EXPORT_SCHEMA_ID,
    title: `PBX Warden configuration export (format "${EXPORT_FORMAT}", version ${EXPORT_VERSION})`,
    description:
      'Every setting of one PBX for an offline review; never a secret or a hash. Generated from shared/export.ts ' +
      '(PbxExportSchema) by npm run schema — do not edit by hand.',
    ...rest,
  };
}

/** The file's text: 2-space JSON with a final newline. */
export function exportJsonSchemaText(): string {
  return `${JSON.stringify(exportJsonSchema(), null, 2)}\n`;
}
