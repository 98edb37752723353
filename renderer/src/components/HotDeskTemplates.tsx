// Templates per brand (SPEC F4; admins): each brand's templates with its one default marked, "Make default",
// and a dialog to add a template or change its name and settings (`name = value` lines, checked line by line
// while typing). Delete is offered only when the PBX would allow it; otherwise the button says why not.
import { useId, useRef, useState } from 'react';
import { BRAND_INFO, PhoneBrands, type PhoneBrand, type Template } from '../../../shared/hotdesk';
import type { ErrorBody } from '../../../shared/errors';
import { call, errorBody } from '../api';
import { parseSettingsText, settingsToText, templatesByBrand, type LiveList } from '../lib/hotdesk';
import { useNow } from '../lib/time';
import { When } from './When';
import { ErrorLine, ErrorNotice } from './ErrorNotice';
import { DoneStatus, Field } from './Field';
import { ModalDialog } from './ModalDialog';
import { PolicyConflict } from './PolicyConflict';

type Editing = { kind: 'create'; brand: PhoneBrand } | { kind: 'edit'; template: Template };

function isTemplate(v: unknown): v is Template {
  return typeof v === 'object' && v !== null && 'brand' in v && 'settings' in v && 'etag' in v;
}

export function HotDeskTemplates({ list, online }: { list: LiveList<{ items: Template[] }>; online: boolean }) {
  const ids = useId();
  const now = useNow(30_000);
  const [editing, setEditing] = useState<Editing | null>(null);
  const [confirmDelete, setConfirmDelete] = useState<Template | null>(null);
  const [busy, setBusy] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const headingRef = useRef<HTMLHeadingElement>(null);
  const templates = list.data?.items ?? [];
  const byBrand = templatesByBrand(templates);

  const act = async (t: Template, what: 'default' | 'delete') => {
    setBusy(t.id);
    setError(null);
    setDone(null);
    try {
      if (what === 'default') {
        list.setData(await call('hotdesk.setDefaultTemplate', { id: t.id, etag: t.etag }));
        setDone(`“${t.name}” is now the default template for ${BRAND_INFO[t.brand].label} phones (from their next login).`);
        // Its "Make default" button is gone: keep the focus in the section.
        requestAnimationFrame(() => headingRef.current?.focus());
      } else {
        await call('hotdesk.deleteTemplate', { id: t.id, etag: t.etag });
        setConfirmDelete(null);
        list.reload();
        setDone(`Template “${t.name}” deleted.`);
        requestAnimationFrame(() => headingRef.current?.focus());
      }
    } catch (e) {
      const body = errorBody(e);
      setConfirmDelete(null);
      list.reload();
      setError(
        body.code === 'precondition_failed'
          ? `Someone else changed “${t.name}” a moment ago; the list now shows the latest version. Check it and try again.`
          : body.message,
      );
    } finally {
      setBusy(null);
    }
  };

  return (
    <section className="policy-editor lock-section hotdesk-templates" aria-labelledby={`${ids}-title`}>
      <div className="section-head">
        <h2 id={`${ids}-title`} ref={headingRef} tabIndex={-1}>
          Templates
        </h2>
        <span className="muted small">
          The settings a phone loads when someone logs in on it. Each brand has one default template, used when the
          extension has no mapping.
        </span>
      </div>
      {list.error ? (
        <ErrorLine text={`The templates could not be loaded: ${list.error.message}`}>
          <button type="button" className="btn small-btn" onClick={list.reload} disabled={!online}>
            Try again
          </button>
        </ErrorLine>
      ) : null}
      <ErrorLine text={error} />
      <DoneStatus text={done} />
      {!list.data && !list.error ? <p className="loading">Loading templates…</p> : null}
      {list.data ? (
        <div className="brand-grid">
          {PhoneBrands.map((brand) => {
            const items = byBrand.get(brand) ?? [];
            const info = BRAND_INFO[brand];
            return (
              <div key={brand} className="brand-box" role="group" aria-labelledby={`${ids}-${brand}`}>
                <div className="brand-head">
                  <h3 id={`${ids}-${brand}`}>{info.label}</h3>
                  <span className="muted small">{info.needsReboot ? 'Phones reboot to load a template' : 'Phones load a template at once'}</span>
                </div>
                {items.length === 0 ? (
                  <p className="muted small">No template yet: the first one becomes the default.</p>
                ) : (
                  <ul className="cred-list">
                    {items.map((t) => {
                      const deleteWhy = t.isDefault
                        ? 'The default cannot be deleted.'
                        : t.mappings > 0
                          ? `Used by ${t.mappings} mapping${t.mappings === 1 ? '' : 's'}, so it cannot be deleted.`
                          : null;
                      const whyId = `${ids}-why-${t.id}`;
                      return (
                        <li key={t.id} className={`template-item${t.isDefault ? ' is-default' : ''}`} aria-label={`${t.name}${t.isDefault ? ' (default)' : ''}`}>
                          <div className="template-line">
                            <span className="template-name">{t.name}</span>
                            {t.isDefault ? <span className="badge badge-default-template">Default</span> : null}
                          </div>
                          <p className="muted small">
                            {`${Object.keys(t.settings).length} setting${Object.keys(t.settings).length === 1 ? '' : 's'} · ${
                              t.mappings === 0 ? 'no mapping' : `${t.mappings} mapping${t.mappings === 1 ? '' : 's'}`
                            } · changed `}
                            <When iso={t.updatedAt} now={now} />
                            {t.updatedBy ? ` by ${t.updatedBy}` : ''}
                          </p>
                          {confirmDelete?.id === t.id ? (
                            <div
                              className="confirm-box"
                              role="group"
                              aria-label={`Confirm deleting ${t.name}`}
                              onKeyDown={(e) => {
                                if (e.key === 'Escape') {
                                  e.preventDefault();
                                  e.stopPropagation();
                                  setConfirmDelete(null);
                                }
                              }}
                            >
                              <p>{`Delete the ${info.label} template “${t.name}”?`}</p>
                              <div className="form-actions">
                                <button type="button" className="btn danger small-btn" onClick={() => void act(t, 'delete')} disabled={busy !== null || !online} autoFocus>
                                  Yes, delete
                                </button>
                                <button type="button" className="btn small-btn" onClick={() => setConfirmDelete(null)}>
                                  Keep it
                                </button>
                              </div>
                            </div>
                          ) : (
                            <div className="template-actions">
                              {t.isDefault ? null : (
                                <button
                                  type="button"
                                  className="btn small-btn"
                                  onClick={() => void act(t, 'default')}
                                  disabled={busy !== null || !online}
                                  aria-busy={busy === t.id || undefined}
                                  aria-label={`Make default: ${t.name} for ${info.label}`}
                                >
                                  Make default
                                </button>
                              )}
                              <button type="button" className="btn small-btn" onClick={() => setEditing({ kind: 'edit', template: t })} aria-label={`Edit ${t.name}`} disabled={!online}>
                                Edit
                              </button>
                              <button
                                type="button"
                                className="btn small-btn"
                                onClick={() => setConfirmDelete(t)}
                                disabled={deleteWhy !== null || busy !== null || !online}
                                aria-label={`Delete ${t.name}`}
                                aria-describedby={deleteWhy ? whyId : undefined}
                              >
                                Delete
                              </button>
                              {deleteWhy ? (
                                <span id={whyId} className="muted small template-why">
                                  {deleteWhy}
                                </span>
                              ) : null}
                            </div>
                          )}
                        </li>
                      );
                    })}
                  </ul>
                )}
                <button type="button" className="btn small-btn ghost" onClick={() => setEditing({ kind: 'create', brand })} disabled={!online}>
                  {`New ${info.label} template…`}
                </button>
              </div>
            );
          })}
        </div>
      ) : null}
      {editing ? (
        <TemplateDialog
          editing={editing}
          online={online}
          onClose={() => setEditing(null)}
          onSaved={(text) => {
            setEditing(null);
            list.reload();
            setError(null);
            setDone(text);
          }}
          fallbackFocus={() => headingRef.current}
        />
      ) : null}
    </section>
  );
}

function TemplateDialog({
  editing,
  online,
  onClose,
  onSaved,
  fallbackFocus,
}: {
  editing: Editing;
  online: boolean;
  onClose: () => void;
  onSaved: (text: string) => void;
  fallbackFocus: () => HTMLElement | null;
}) {
  const ids = useId();
  const original = editing.kind === 'edit' ? editing.template : null;
  const brand = editing.kind === 'edit' ? editing.template.brand : editing.brand;
  const info = BRAND_INFO[brand];
  const [name, setName] = useState(original?.name ?? '');
  const [text, setText] = useState(original ? settingsToText(original.settings) : '');
  const [makeDefault, setMakeDefault] = useState(false);
  const [etag, setEtag] = useState(original?.etag ?? '');
  const [submitted, setSubmitted] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ErrorBody | null>(null);
  const [conflict, setConflict] = useState<Template | null>(null);
  const nameRef = useRef<HTMLInputElement>(null);
  const textRef = useRef<HTMLTextAreaElement>(null);

  const parsed = parseSettingsText(text);
  const nameTrim = name.trim();
  const nameError =
    nameTrim === '' ? (submitted ? 'Name: enter a name for the template.' : undefined) : nameTrim.length > 60 ? `Name: at most 60 characters (now ${nameTrim.length}).` : undefined;
  const serverIssues = error?.details?.filter((d) => d.field === 'name' || d.field.startsWith('settings')) ?? [];
  const title = original ? `Edit template “${original.name}” (${info.label})` : `New ${info.label} template`;

  const save = async () => {
    setSubmitted(true);
    if (busy || nameTrim === '' || nameError || parsed.problems.length > 0) {
      requestAnimationFrame(() => (nameTrim === '' || nameError ? nameRef : textRef).current?.focus());
      return;
    }
    setBusy(true);
    setError(null);
    try {
      if (original) {
        const t = await call('hotdesk.updateTemplate', { id: original.id, etag, name: nameTrim, settings: parsed.settings });
        onSaved(`Saved “${t.name}”. Phones get the new settings at their next login.`);
      } else {
        const t = await call('hotdesk.createTemplate', { brand, name: nameTrim, settings: parsed.settings, isDefault: makeDefault });
        onSaved(`Added the ${info.label} template “${t.name}”${t.isDefault ? ', now the brand’s default' : ''}.`);
      }
    } catch (e) {
      const body = errorBody(e);
      if (body.code === 'precondition_failed' && original) {
        let current: Template | null = isTemplate(body.current) ? body.current : null;
        if (!current) current = (await call('hotdesk.templates', {}).catch(() => null))?.items.find((t) => t.id === original.id) ?? null;
        if (current) setConflict(current);
        else setError({ ...body, message: 'This template was deleted meanwhile. Close this and add it again if you still need it.' });
      } else setError(body);
    } finally {
      setBusy(false);
    }
  };

  return (
    <ModalDialog title={title} className="hotdesk-dialog template-dialog" onClose={onClose} fallbackFocus={fallbackFocus}>
      {() => (
        <form
          noValidate
          onSubmit={(e) => {
            e.preventDefault();
            void save();
          }}
        >
          <Field label="Name" inputRef={nameRef} value={name} onChange={(e) => setName(e.target.value)} autoComplete="off" error={nameError} autoFocus maxLength={80} />
          <div className={`field${parsed.problems.length > 0 ? ' has-error' : ''}`}>
            <label htmlFor={`${ids}-settings`}>Settings</label>
            <textarea
              id={`${ids}-settings`}
              ref={textRef}
              className="settings-text"
              rows={8}
              spellCheck={false}
              value={text}
              onChange={(e) => setText(e.target.value)}
              onKeyDown={(e) => {
                // Enter makes a new line here; Ctrl+Enter saves.
                if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
                  e.preventDefault();
                  void save();
                }
              }}
              aria-invalid={parsed.problems.length > 0 || undefined}
              aria-describedby={`${ids}-settings-hint${parsed.problems.length > 0 ? ` ${ids}-settings-problems` : ''}`}
              placeholder={'line_key.1.type = 15\nscreen.backlight = 60'}
            />
            <div id={`${ids}-settings-hint`} className="field-hint">
              {`One setting per line: name = value (names in lowercase letters, digits, dots and underscores). ${Object.keys(parsed.settings).length} setting${Object.keys(parsed.settings).length === 1 ? '' : 's'}.`}
            </div>
            {parsed.problems.length > 0 ? (
              <ul id={`${ids}-settings-problems`} className="field-error detail-list">
                {parsed.problems.map((p) => (
                  <li key={`${p.line}-${p.message}`}>{p.message}</li>
                ))}
              </ul>
            ) : null}
          </div>
          {original ? null : (
            <div className="check-field">
              <input id={`${ids}-default`} type="checkbox" checked={makeDefault} onChange={(e) => setMakeDefault(e.target.checked)} />
              <label htmlFor={`${ids}-default`}>{`Make it the default for ${info.label} phones`}</label>
            </div>
          )}
          {conflict ? (
            <PolicyConflict
              focusOnShow
              title={`Someone else changed this template${conflict.updatedBy ? ` (${conflict.updatedBy})` : ''} while you were editing it. Your changes are not saved yet.`}
              mineTitle="Your version"
              theirsTitle="Now on the PBX"
              mine={[
                { label: 'Name', value: nameTrim },
                { label: 'Settings', value: settingsToText(parsed.settings) || '(none)' },
              ]}
              theirs={[
                { label: 'Name', value: conflict.name },
                { label: 'Settings', value: settingsToText(conflict.settings) || '(none)' },
              ]}
              onUsePbx={() => {
                setName(conflict.name);
                setText(settingsToText(conflict.settings));
                setEtag(conflict.etag);
                setConflict(null);
              }}
              onKeepMine={() => {
                setEtag(conflict.etag);
                setConflict(null);
              }}
            />
          ) : null}
          {error ? <ErrorNotice error={error} listFrom={serverIssues.length > 0 ? 1 : 2} /> : null}
          <div className="form-actions">
            <button type="submit" className="btn primary" disabled={busy || !online || conflict !== null} aria-busy={busy || undefined}>
              {original ? 'Save template' : 'Add template'}
            </button>
            <button type="button" className="btn" onClick={onClose}>
              Cancel
            </button>
          </div>
          <p className="muted small">
            <kbd>Ctrl</kbd>+<kbd>Enter</kbd> saves, <kbd>Esc</kbd> closes without saving.
          </p>
        </form>
      )}
    </ModalDialog>
  );
}
