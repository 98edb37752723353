// Site settings for hot desking (SPEC F4; admins): where a site's phones find the PBX — the Login app's
// "Internal" and "External" choices — and when logged-in phones are logged out by themselves (after so many
// idle minutes, and/or daily at a local time). Checked while typing with the shared schema; the PBX's field
// errors (`details`) are shown on their fields; a 412 shows both versions side by side.
import { useId, useMemo, useState } from 'react';
import type { SiteHotDesk } from '../../../shared/hotdesk';
import type { ErrorBody, FieldIssue } from '../../../shared/errors';
import { call, errorBody } from '../api';
import { SITE_FIELD_LABEL, parseSiteDraft, sameSiteDraft, siteDraft, siteFieldMessage, type LiveList, type SiteDraft, type SiteField } from '../lib/hotdesk';
import { useNow } from '../lib/time';
import { When } from './When';
import { ErrorLine, ErrorNotice } from './ErrorNotice';
import { DoneStatus, Field } from './Field';
import { PolicyConflict, type PolicyRow } from './PolicyConflict';

function describe(d: SiteDraft): PolicyRow[] {
  return [
    { label: 'Internal address', value: d.internalAddress.trim() || 'not set' },
    { label: 'External address', value: d.externalAddress.trim() || 'not set' },
    { label: 'Idle logout', value: d.idleMinutes.trim() ? `after ${d.idleMinutes.trim()} minutes` : 'never' },
    { label: 'Daily logout', value: d.dailyAt.trim() || 'never' },
    { label: 'Time zone', value: d.timeZone.trim() },
  ];
}

let zones: string[] | null = null;
function timeZones(): string[] {
  if (!zones) {
    const intl = Intl as unknown as { supportedValuesOf?: (k: string) => string[] };
    zones = intl.supportedValuesOf ? intl.supportedValuesOf('timeZone') : ['UTC'];
    if (!zones.includes('UTC')) zones = ['UTC', ...zones];
  }
  return zones;
}

export function HotDeskSites({ list, online }: { list: LiveList<{ items: SiteHotDesk[] }>; online: boolean }) {
  const ids = useId();
  const sites = list.data?.items ?? [];
  const [chosen, setChosen] = useState<string | null>(null);
  const site = sites.find((s) => s.siteId === chosen) ?? sites[0];

  return (
    <section className="policy-editor lock-section hotdesk-sites" aria-labelledby={`${ids}-title`}>
      <div className="section-head">
        <h2 id={`${ids}-title`}>Site settings</h2>
        <span className="muted small">Where each site’s phones find the PBX, and when they log out by themselves.</span>
      </div>
      {list.error ? (
        <ErrorLine text={`The site settings could not be loaded: ${list.error.message}`}>
          <button type="button" className="btn small-btn" onClick={list.reload} disabled={!online}>
            Try again
          </button>
        </ErrorLine>
      ) : null}
      {!list.data && !list.error ? <p className="loading">Loading site settings…</p> : null}
      {sites.length > 1 ? (
        <div className="bulk-tabs" role="group" aria-label="Site">
          {sites.map((s) => (
            <button key={s.siteId} type="button" className={`chip${s.siteId === site?.siteId ? ' on' : ''}`} aria-pressed={s.siteId === site?.siteId} onClick={() => setChosen(s.siteId)}>
              {s.siteName}
            </button>
          ))}
        </div>
      ) : null}
      {site ? <SiteForm key={site.siteId} site={site} online={online} onSaved={(s) => list.setData({ items: sites.map((x) => (x.siteId === s.siteId ? s : x)) })} /> : null}
    </section>
  );
}

function SiteForm({ site, online, onSaved }: { site: SiteHotDesk; online: boolean; onSaved: (s: SiteHotDesk) => void }) {
  const ids = useId();
  const now = useNow(30_000);
  const [draft, setDraft] = useState<SiteDraft>(() => siteDraft(site));
  const [base, setBase] = useState<SiteHotDesk>(site);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ErrorBody | null>(null);
  const [serverIssues, setServerIssues] = useState<{ draft: SiteDraft; issues: FieldIssue[] } | null>(null);
  const [conflict, setConflict] = useState<SiteHotDesk | null>(null);
  const [done, setDone] = useState<string | null>(null);

  const dirty = !sameSiteDraft(draft, siteDraft(base));
  // A change saved elsewhere reaches an untouched form at once; a form with edits keeps them (the save says 412).
  if (site.etag !== base.etag && !dirty) {
    setBase(site);
    setDraft(siteDraft(site));
  }

  const { value, issues } = parseSiteDraft(draft);
  const shownIssues: Partial<Record<SiteField, string>> = { ...issues };
  if (serverIssues && sameSiteDraft(serverIssues.draft, draft)) {
    for (const d of serverIssues.issues) {
      const f = d.field as SiteField;
      if (f in SITE_FIELD_LABEL && !shownIssues[f]) shownIssues[f] = siteFieldMessage(f, d.message);
    }
  }
  const zoneList = useMemo(timeZones, []);

  const set = (k: keyof SiteDraft) => (e: { target: { value: string } }) => {
    setDraft((d) => ({ ...d, [k]: e.target.value }));
    setDone(null);
  };

  const save = async () => {
    if (!value || busy) return;
    setBusy(true);
    setError(null);
    setDone(null);
    try {
      const saved = await call('hotdesk.setSite', { siteId: base.siteId, etag: base.etag, ...value });
      setBase(saved);
      setDraft(siteDraft(saved));
      onSaved(saved);
      setDone(`Saved the hot-desk settings of ${saved.siteName}.`);
    } catch (e) {
      const body = errorBody(e);
      if (body.code === 'precondition_failed') {
        const cur = body.current as SiteHotDesk | undefined;
        const current = cur && typeof cur === 'object' && 'etag' in cur ? cur : site.etag !== base.etag ? site : null;
        if (current) setConflict(current);
        else setError(body);
      } else {
        if (body.details && body.details.length > 0) setServerIssues({ draft, issues: body.details });
        setError(body);
      }
    } finally {
      setBusy(false);
    }
  };

  const fieldProps = (k: keyof SiteDraft, field: SiteField) => ({
    label: SITE_FIELD_LABEL[field],
    value: draft[k],
    onChange: set(k),
    error: shownIssues[field],
    autoComplete: 'off',
    spellCheck: false,
  });

  return (
    <form
      className="site-form"
      noValidate
      aria-label={`Hot-desk settings of ${site.siteName}`}
      onSubmit={(e) => {
        e.preventDefault();
        void save();
      }}
    >
      <fieldset className="policy-group">
        <legend>PBX addresses (the phone’s Login app offers these)</legend>
        <div className="site-fields">
          <Field {...fieldProps('internalAddress', 'internalAddress')} placeholder="e.g. 10.1.0.10" hint="“Internal”: on the office network. Empty: not offered." className="mono-input" />
          <Field {...fieldProps('externalAddress', 'externalAddress')} placeholder="e.g. pbx.example.com:5061" hint="“External”: from outside (home, hotel). Empty: not offered." className="mono-input" />
        </div>
        {draft.internalAddress.trim() === '' && draft.externalAddress.trim() === '' ? (
          <p className="notice info small">With neither address set, phones of this site have nothing to log in to.</p>
        ) : null}
      </fieldset>
      <fieldset className="policy-group">
        <legend>Automatic logout</legend>
        <div className="site-fields">
          <Field {...fieldProps('idleMinutes', 'autoLogout.idleMinutes')} inputMode="numeric" placeholder="never" hint="After this many minutes without a call or key press (5 to 10080). Empty: never." />
          <Field {...fieldProps('dailyAt', 'autoLogout.dailyAt')} placeholder="never, e.g. 23:30" hint="Every phone of the site, each day at this time (24-hour HH:MM). Empty: never." />
          <Field {...fieldProps('timeZone', 'autoLogout.timeZone')} list={`${ids}-zones`} hint="For the daily time, e.g. Europe/Berlin." />
          <datalist id={`${ids}-zones`}>
            {zoneList.map((z) => (
              <option key={z} value={z} />
            ))}
          </datalist>
        </div>
      </fieldset>
      {conflict ? (
        <PolicyConflict
          focusOnShow
          title={`The settings of ${site.siteName} were changed${conflict.updatedBy ? ` by ${conflict.updatedBy}` : ''} while you were editing them. Your changes are not saved yet.`}
          mineTitle="Your version"
          theirsTitle="Now on the PBX"
          mine={describe(draft)}
          theirs={describe(siteDraft(conflict))}
          onUsePbx={() => {
            setBase(conflict);
            setDraft(siteDraft(conflict));
            setConflict(null);
          }}
          onKeepMine={() => {
            setBase(conflict);
            setConflict(null);
          }}
        />
      ) : null}
      {error && !conflict ? <ErrorNotice error={error} listFrom={serverIssues ? 99 : 1} /> : null}
      <div className="form-actions">
        <button type="submit" className="btn primary" disabled={!value || !dirty || busy || !online || conflict !== null} aria-busy={busy || undefined}>
          {`Save ${site.siteName}`}
        </button>
        {dirty ? (
          <button type="button" className="btn" onClick={() => setDraft(siteDraft(base))} disabled={busy}>
            Undo changes
          </button>
        ) : null}
        <span className="muted small">
          {dirty ? (value ? 'Not saved yet.' : 'Fix the fields marked above to save.') : base.updatedAt ? 'Saved ' : 'Never changed.'}
          {!dirty && base.updatedAt ? (
            <>
              <When iso={base.updatedAt} now={now} />
              {base.updatedBy ? ` by ${base.updatedBy}` : ''}
            </>
          ) : null}
        </span>
      </div>
      <DoneStatus text={done} />
    </form>
  );
}
