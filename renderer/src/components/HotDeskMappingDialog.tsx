// Add, change or remove an extension mapping (SPEC F4): extension → template, optionally only on one phone
// (MAC). The template picker groups the templates by brand (the default marked); the MAC is checked while
// typing with the shared parser (any notation; shown in its normal form), against the other mappings (a MAC
// maps one extension) and against the phones the PBX knows (brand and model, and a warning when the
// template is for another brand). The PBX's answers are shown where they belong: 409 mac_in_use on the MAC
// field, 412 as both versions side by side (PolicyConflict), other refusals naming the field and the rule.
import { useId, useRef, useState, type FormEvent } from 'react';
import { BRAND_INFO, PhoneBrands, parseMac, type Device, type HotDeskRow, type Mapping, type Template } from '../../../shared/hotdesk';
import type { ErrorBody } from '../../../shared/errors';
import { call, errorBody } from '../api';
import { macMappedElsewhere, sameMapping, templatesByBrand } from '../lib/hotdesk';
import { ErrorNotice } from './ErrorNotice';
import { Field } from './Field';
import { ModalDialog } from './ModalDialog';
import { PolicyConflict, type PolicyRow } from './PolicyConflict';

export type MappingTarget =
  /** A new mapping; `extension` prefilled when started from a row, `brand` picks that brand's default. */
  | { kind: 'create'; extension?: string; brand?: Template['brand'] }
  | { kind: 'edit'; row: HotDeskRow & { mapping: Mapping } };

interface Props {
  target: MappingTarget;
  templates: readonly Template[];
  rows: ReadonlyMap<string, HotDeskRow>;
  devices: ReadonlyMap<string, Device>;
  online: boolean;
  onClose: () => void;
  onDone: (text: string) => void;
  fallbackFocus?: () => HTMLElement | null;
}

function isMapping(v: unknown): v is Mapping {
  return typeof v === 'object' && v !== null && 'templateId' in v && 'etag' in v && 'extension' in v;
}

export function HotDeskMappingDialog({ target, templates, rows, devices, online, onClose, onDone, fallbackFocus }: Props) {
  const ids = useId();
  const editing = target.kind === 'edit' ? target.row : null;
  const number0 = editing ? editing.extension : target.kind === 'create' ? (target.extension ?? '') : '';
  const brandDefault = target.kind === 'create' && target.brand ? templates.find((t) => t.brand === target.brand && t.isDefault) : undefined;
  const [extension, setExtension] = useState(number0);
  const [templateId, setTemplateId] = useState(editing ? String(editing.mapping.templateId) : brandDefault ? String(brandDefault.id) : '');
  const [macText, setMacText] = useState(editing?.mapping.mac ?? '');
  const [etag, setEtag] = useState(editing?.mapping.etag ?? '');
  const [macTouched, setMacTouched] = useState(false);
  const [submitted, setSubmitted] = useState(false);
  const [busy, setBusy] = useState<'save' | 'delete' | null>(null);
  const [error, setError] = useState<ErrorBody | null>(null);
  const [serverField, setServerField] = useState<{ field: 'mac' | 'extension' | 'templateId'; message: string; sent: string } | null>(null);
  const [conflict, setConflict] = useState<Mapping | null>(null);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const extRef = useRef<HTMLInputElement>(null);
  const macRef = useRef<HTMLInputElement>(null);
  const templateRef = useRef<HTMLSelectElement>(null);
  const errorRef = useRef<HTMLDivElement>(null);

  const byBrand = templatesByBrand(templates);
  const templateById = new Map(templates.map((t) => [t.id, t]));
  const template = templateId === '' ? undefined : templateById.get(Number(templateId));

  // ---- checks while typing ----
  const ext = extension.trim();
  let extError: string | undefined;
  if (!editing) {
    if (ext === '') extError = submitted ? 'Extension: enter the extension number to map.' : undefined;
    else if (!/^[0-9]{2,10}$/.test(ext)) extError = 'Extension: an extension number is 2 to 10 digits.';
    else if (rows.get(ext)?.mapping) extError = `Extension: ${ext} already has a mapping; close this and use “Edit mapping” on its row.`;
  }

  const macTrim = macText.trim();
  const parsed = macTrim === '' ? null : parseMac(macTrim);
  const mac = parsed && 'mac' in parsed ? parsed.mac : null;
  const number = editing ? editing.extension : ext;
  let macError: string | undefined;
  if (parsed && 'problem' in parsed) {
    if (macTouched || submitted || macTrim.replace(/[^0-9a-fA-F]/g, '').length >= 12) macError = `MAC: ${parsed.problem.message}.`;
  } else if (mac) {
    const other = macMappedElsewhere(rows.values(), mac, number);
    if (other) macError = `MAC: ${mac} is already mapped to ${other.extension}${other.label ? ` (${other.label})` : ''}; a phone can be mapped to one extension only.`;
  }
  const device = mac ? devices.get(mac) : undefined;
  // The PBX refuses a template of another brand than the phone's (a phone cannot load it).
  let templateError: string | undefined;
  if (submitted && !template) templateError = 'Template: choose the template to use.';
  else if (device && template && device.brand !== template.brand) {
    templateError = `Template: “${template.name}” is a ${BRAND_INFO[template.brand].label} template, but the phone ${device.mac} is a ${BRAND_INFO[device.brand].label}; choose a ${BRAND_INFO[device.brand].label} template.`;
  }
  // What the PBX said about exactly these values, on its field.
  const sentNow = serverField !== null && serverField.sent === JSON.stringify([ext, templateId, macTrim]);
  if (sentNow && serverField.field === 'mac' && !macError) macError = serverField.message;
  if (sentNow && serverField.field === 'templateId' && !templateError) templateError = serverField.message;
  if (sentNow && serverField.field === 'extension' && !extError) extError = serverField.message;

  const macHint = mac
    ? device
      ? `Read as ${mac}: a ${BRAND_INFO[device.brand].label} ${device.model} the PBX knows.`
      : `Read as ${mac}. No phone with this MAC has contacted the PBX yet.`
    : 'Leave blank to use this template whenever the extension logs in, on any phone. With a MAC, only on that phone (elsewhere the brand’s default template is used).';

  const hasErrors = Boolean(extError || macError || templateError || (parsed && 'problem' in parsed) || !template || (!editing && ext === ''));
  const unchanged = editing !== null && template !== undefined && sameMapping(editing.mapping, { templateId: template.id, mac });

  const describe = (m: Pick<Mapping, 'templateId' | 'mac'>): PolicyRow[] => {
    const t = templateById.get(m.templateId);
    return [
      { label: 'Template', value: t ? `${t.name} (${BRAND_INFO[t.brand].label})` : `template ${m.templateId}` },
      { label: 'Phone', value: m.mac ?? 'any phone' },
    ];
  };

  const focusFirstProblem = () => {
    requestAnimationFrame(() => {
      if (extError || (!editing && ext === '')) extRef.current?.focus();
      else if (!template) templateRef.current?.focus();
      else macRef.current?.focus();
    });
  };

  const save = async (e?: FormEvent) => {
    e?.preventDefault();
    setSubmitted(true);
    if (busy) return;
    if (hasErrors || !template) {
      setMacTouched(true);
      focusFirstProblem();
      return;
    }
    setBusy('save');
    setError(null);
    setServerField(null);
    try {
      if (editing) {
        await call('hotdesk.updateMapping', { number: editing.extension, etag, templateId: template.id, mac });
      } else {
        await call('hotdesk.createMapping', { extension: ext, templateId: template.id, mac });
      }
      onDone(
        `Saved. ${number} gets “${template.name}” ${mac ? `on the phone ${mac}` : 'on any phone it logs in on'} from its next login.`,
      );
    } catch (err) {
      const body = errorBody(err);
      if (body.code === 'precondition_failed') {
        const current = isMapping(body.current) ? body.current : (rows.get(number)?.mapping ?? null);
        setConflict(current);
        setError(current ? null : { ...body, message: `${body.message} The mapping was removed meanwhile.` });
      } else {
        const onField = body.details?.find((d) => d.field === 'mac' || d.field === 'extension' || d.field === 'templateId');
        if (onField && (onField.field === 'mac' || onField.field === 'extension' || onField.field === 'templateId')) {
          const label = onField.field === 'mac' ? 'MAC' : onField.field === 'extension' ? 'Extension' : 'Template';
          const text = onField.message.replace(/^[A-Za-z]+:\s*/, '');
          setServerField({ field: onField.field, message: `${label}: ${text}${/[.!?]$/.test(text) ? '' : '.'}`, sent: JSON.stringify([ext, templateId, macTrim]) });
          const ref = onField.field === 'mac' ? macRef : onField.field === 'extension' ? extRef : templateRef;
          requestAnimationFrame(() => ref.current?.focus());
        } else {
          setError(body);
          requestAnimationFrame(() => errorRef.current?.scrollIntoView({ block: 'nearest' }));
        }
      }
    } finally {
      setBusy(null);
    }
  };

  const remove = async () => {
    if (!editing) return;
    setBusy('delete');
    setError(null);
    try {
      await call('hotdesk.deleteMapping', { number: editing.extension, etag });
      onDone(`Mapping removed. ${editing.extension} gets its phone brand’s default template from its next login.`);
    } catch (err) {
      const body = errorBody(err);
      setConfirmDelete(false);
      if (body.code === 'precondition_failed') {
        const current = isMapping(body.current) ? body.current : (rows.get(editing.extension)?.mapping ?? null);
        setConflict(current);
      } else setError(body);
    } finally {
      setBusy(null);
    }
  };

  const title = editing ? `Mapping of ${editing.extension}${editing.label ? ` (${editing.label})` : ''}` : 'Map an extension';

  return (
    <ModalDialog title={title} className="hotdesk-dialog mapping-dialog" onClose={onClose} fallbackFocus={fallbackFocus}>
      {() => (
        <form noValidate onSubmit={(e) => void save(e)} className="mapping-form">
          <p className="muted small">
            Which provisioning template the extension’s phone loads at login. Without a mapping, a phone gets its brand’s
            default template.
          </p>
          {editing ? null : (
            <Field
              label="Extension"
              inputRef={extRef}
              value={extension}
              onChange={(e) => setExtension(e.target.value)}
              inputMode="numeric"
              autoComplete="off"
              spellCheck={false}
              placeholder="e.g. 1001"
              error={extError}
              autoFocus={number0 === ''}
            />
          )}

          <div className={`field${templateError ? ' has-error' : ''}`}>
            <label htmlFor={`${ids}-template`}>Template</label>
            <select
              id={`${ids}-template`}
              ref={templateRef}
              value={templateId}
              onChange={(e) => setTemplateId(e.target.value)}
              aria-invalid={templateError ? true : undefined}
              aria-describedby={`${ids}-template-hint${templateError ? ` ${ids}-template-error` : ''}`}
              autoFocus={editing !== null || number0 !== ''}
            >
              <option value="">Choose a template…</option>
              {PhoneBrands.map((brand) => {
                const list = byBrand.get(brand) ?? [];
                if (list.length === 0) return null;
                return (
                  <optgroup key={brand} label={`${BRAND_INFO[brand].label}${BRAND_INFO[brand].needsReboot ? ' (phone reboots after login)' : ''}`}>
                    {list.map((t) => (
                      <option key={t.id} value={String(t.id)}>
                        {`${t.name}${t.isDefault ? ' — default' : ''}`}
                      </option>
                    ))}
                  </optgroup>
                );
              })}
            </select>
            <div id={`${ids}-template-hint`} className="field-hint">
              {template ? `${BRAND_INFO[template.brand].label} phones. ${Object.keys(template.settings).length} settings.` : 'Grouped by phone brand; “default” is what a brand’s phones get without a mapping.'}
            </div>
            {templateError ? (
              <div id={`${ids}-template-error`} className="field-error">
                <span>{templateError}</span>
              </div>
            ) : null}
          </div>

          <Field
            label="Phone MAC address (optional)"
            inputRef={macRef}
            className="mac-field"
            value={macText}
            onChange={(e) => setMacText(e.target.value)}
            onBlur={() => setMacTouched(true)}
            autoComplete="off"
            spellCheck={false}
            placeholder="blank = any phone, e.g. 00:15:65:AB:CD:EF"
            error={macError}
            hint={macHint}
          />

          {conflict ? (
            <PolicyConflict
              focusOnShow
              title={`Someone else changed this mapping${conflict.updatedBy ? ` (${conflict.updatedBy})` : ''} while you were editing it. Your change is not saved yet.`}
              mineTitle="Your version"
              theirsTitle="Now on the PBX"
              mine={template ? describe({ templateId: template.id, mac }) : null}
              theirs={describe(conflict)}
              onUsePbx={() => {
                setTemplateId(String(conflict.templateId));
                setMacText(conflict.mac ?? '');
                setEtag(conflict.etag);
                setConflict(null);
                requestAnimationFrame(() => templateRef.current?.focus());
              }}
              onKeepMine={() => {
                setEtag(conflict.etag);
                setConflict(null);
                requestAnimationFrame(() => templateRef.current?.focus());
              }}
            />
          ) : null}
          {error ? <ErrorNotice error={error} boxRef={errorRef} /> : null}

          {confirmDelete && editing ? (
            <div
              className="confirm-box"
              role="group"
              aria-label="Confirm removing the mapping"
              onKeyDown={(e) => {
                if (e.key === 'Escape') {
                  e.preventDefault();
                  e.stopPropagation();
                  setConfirmDelete(false);
                }
              }}
            >
              <p>{`Remove the mapping of ${editing.extension}? Its phone keeps its settings until the next login; from then on it gets the brand’s default template.`}</p>
              <div className="form-actions">
                <button type="button" className="btn danger" onClick={() => void remove()} disabled={busy !== null || !online} aria-busy={busy === 'delete' || undefined} autoFocus>
                  Yes, remove the mapping
                </button>
                <button type="button" className="btn" onClick={() => setConfirmDelete(false)} disabled={busy !== null}>
                  Keep it
                </button>
              </div>
            </div>
          ) : null}

          <div className="form-actions">
            <button type="submit" className="btn primary" disabled={busy !== null || !online || conflict !== null || unchanged} aria-busy={busy === 'save' || undefined}>
              {editing ? 'Save mapping' : 'Add mapping'}
            </button>
            <button type="button" className="btn" onClick={onClose}>
              Cancel
            </button>
            {editing && !confirmDelete ? (
              <button type="button" className="btn danger-outline push-right" onClick={() => setConfirmDelete(true)} disabled={busy !== null || !online}>
                Remove mapping…
              </button>
            ) : null}
          </div>
          <p className="muted small">
            {unchanged ? 'Nothing changed yet. ' : ''}
            <kbd>Enter</kbd> saves, <kbd>Esc</kbd> closes without saving.
          </p>
        </form>
      )}
    </ModalDialog>
  );
}
