// "PIN policies" (SPEC F2, admins only): the policy of each credential kind — which preset it equals or
// "Custom", a preset in one click, every rule of PinPolicySchema editable with messages that name the
// field and the rule while typing, Save with the policy's etag (412: both versions side by side, keep
// mine or take the PBX's), Discard, who changed it last and when. Beside it a tester: "would this PIN
// pass for this extension?", rule by rule with the shared engine against the DRAFT.
//
// Decisions:
// - Edits are kept per kind, so switching kinds (or the PBX going away for a while) loses nothing.
// - The list is re-read on `settings.changed` (and after a stream gap or reconnect). An unedited kind
//   just shows the new version; an edited one whose base moved on shows the conflict view, so nobody
//   overwrites a colleague's change without seeing it. Our own save's event may come before its
//   answer; while that kind is saving no conflict is derived.
// - Number fields are text inputs with inputMode=numeric (ArrowUp/ArrowDown step them): the raw text is
//   kept, so "-1" or "" can be shown with a message instead of being swallowed by the browser.
import { useCallback, useEffect, useId, useRef, useState, type ChangeEvent, type KeyboardEvent as ReactKeyboardEvent } from 'react';
import type { z } from 'zod';
import { PinPolicyResourceSchema, type PinCheckResult, type PinPolicyResource } from '../../../shared/api';
import type { ChannelInput } from '../../../shared/rpc';
import type { ErrorBody } from '../../../shared/errors';
import {
  CREDENTIAL_FORMATS,
  DEFAULT_MAX_REPEATED_DIGITS,
  DEFAULT_MAX_SEQUENCE_LENGTH,
  PinPolicySchema,
  presetLabel,
  PinPresets,
  pinPolicyPreset,
  pinRules,
  presetOf,
  type CredentialKind,
  type PinCheckContext,
  type PinPolicy,
  type PinPreset,
} from '../../../shared/pin-policy';
import { call, errorBody } from '../api';
import { Field } from '../components/Field';
import { ErrorNotice } from '../components/ErrorNotice';
import { CheckIcon, CrossIcon, DotIcon, ErrorIcon } from '../components/icons';
import { PinRuleList } from '../components/PinRuleList';
import { PolicyConflict, type PolicyRow } from '../components/PolicyConflict';
import { PolicyFormActions, saveBlockedReason } from '../components/PolicyFormActions';
import { ReadOnlyFieldset } from '../components/ReadOnly';
import { subscribeEvents } from '../lib/events';
import { absoluteTime, relativeTime, useNow } from '../lib/time';
import './policies.css';

/** The same labels as the Credentials section of an extension (plus F1's protection password). */
const KIND_LABEL: Record<CredentialKind, string> = {
  voicemail_pin: 'Voicemail PIN',
  login_code: 'Login code',
  phone_password: 'Phone password',
  user_password: 'User password',
  protection_password: 'Protection password',
};

const KIND_USE: Record<CredentialKind, string> = {
  voicemail_pin: 'mailbox login (not asked from a trusted extension)',
  login_code: 'phone login',
  phone_password: 'phone registration (used instead of the login code when set)',
  user_password: 'application login',
  protection_password: 'blocking and unblocking a phone with *11 (phone password protection)',
};

const KIND_ORDER: readonly CredentialKind[] = ['voicemail_pin', 'login_code', 'phone_password', 'user_password', 'protection_password'];

// ---- the draft: what the form holds (raw text for numbers) -------------------------------------

interface Draft {
  minLength: string;
  maxLength: string;
  digitsOnly: boolean;
  repeatOn: boolean;
  maxRepeatedDigits: string;
  sequenceOn: boolean;
  maxSequenceLength: string;
  notExtension: boolean;
  historyCount: string;
  notDefault: boolean;
}

type PolicyField = Exclude<keyof PinPolicy, 'kind'>;

const FIELD_LABEL: Record<PolicyField, string> = {
  minLength: 'Minimum length',
  maxLength: 'Maximum length',
  digitsOnly: 'Digits only',
  maxRepeatedDigits: 'Repeated digits',
  maxSequenceLength: 'Ascending or descending digits',
  notExtension: 'Not the extension number',
  historyCount: 'PINs remembered',
  notDefault: 'Not the default PIN',
};

function toDraft(p: PinPolicy): Draft {
  return {
    minLength: String(p.minLength),
    maxLength: String(p.maxLength),
    digitsOnly: p.digitsOnly,
    repeatOn: p.maxRepeatedDigits !== null,
    maxRepeatedDigits: String(p.maxRepeatedDigits ?? DEFAULT_MAX_REPEATED_DIGITS),
    sequenceOn: p.maxSequenceLength !== null,
    maxSequenceLength: String(p.maxSequenceLength ?? DEFAULT_MAX_SEQUENCE_LENGTH),
    notExtension: p.notExtension,
    historyCount: String(p.historyCount),
    notDefault: p.notDefault,
  };
}

/** A whole number typed by a person ("-1" included, so the range message can say what is wrong). */
function parseWhole(text: string): number | null {
  const t = text.trim();
  return /^[-−]?\d{1,6}$/.test(t) ? Number(t.replace('−', '-')) : null;
}

type Issue = z.core.$ZodIssue;

function issueText(kind: CredentialKind, field: PolicyField, issue: Issue, typed: string): string {
  const label = FIELD_LABEL[field];
  const f = CREDENTIAL_FORMATS[kind];
  if (issue.code === 'too_small') return `${label} must be ${String(issue.minimum)} or more (you entered ${typed}).`;
  if (issue.code === 'too_big') {
    // The schema's cap is the longest of all kinds; say this kind's own limit.
    if (field === 'minLength' || field === 'maxLength') {
      return `${label} must be ${f.maxLength} or less: a ${f.label} is at most ${f.maxLength} long (you entered ${typed}).`;
    }
    return `${label} must be ${String(issue.maximum)} or less (you entered ${typed}).`;
  }
  if (issue.code === 'custom') {
    const m = issue.message;
    return `${m.charAt(0).toUpperCase()}${m.slice(1)}.`;
  }
  return `${label}: ${issue.message}.`;
}

interface Parsed {
  /** The policy when every field is valid, else null. */
  policy: PinPolicy | null;
  errors: Partial<Record<PolicyField, string>>;
}

/** The draft checked with PinPolicySchema (the same schema the PBX validates with). */
function parseDraft(kind: CredentialKind, d: Draft): Parsed {
  const errors: Partial<Record<PolicyField, string>> = {};
  const whole = (field: PolicyField, text: string): number => {
    const n = parseWhole(text);
    if (n === null) errors[field] = text.trim() === '' ? `${FIELD_LABEL[field]} is empty: enter a whole number.` : `${FIELD_LABEL[field]} must be a whole number (you entered "${text}").`;
    return n ?? Number.NaN;
  };
  const candidate: PinPolicy = {
    kind,
    minLength: whole('minLength', d.minLength),
    maxLength: whole('maxLength', d.maxLength),
    digitsOnly: d.digitsOnly,
    maxRepeatedDigits: d.repeatOn ? whole('maxRepeatedDigits', d.maxRepeatedDigits) : null,
    maxSequenceLength: d.sequenceOn ? whole('maxSequenceLength', d.maxSequenceLength) : null,
    notExtension: d.notExtension,
    historyCount: whole('historyCount', d.historyCount),
    notDefault: d.notDefault,
  };
  const typed: Record<PolicyField, string> = {
    minLength: d.minLength, maxLength: d.maxLength, digitsOnly: String(d.digitsOnly),
    maxRepeatedDigits: d.maxRepeatedDigits, maxSequenceLength: d.maxSequenceLength,
    notExtension: String(d.notExtension), historyCount: d.historyCount, notDefault: String(d.notDefault),
  };
  const result = PinPolicySchema.safeParse(candidate);
  if (!result.success) {
    for (const issue of result.error.issues) {
      const field = issue.path[0] as PolicyField | undefined;
      if (!field || !(field in FIELD_LABEL) || errors[field]) continue;
      errors[field] = issueText(kind, field, issue, typed[field]);
    }
  }
  const ok = result.success && Object.keys(errors).length === 0;
  return { policy: ok ? result.data : null, errors };
}

function samePolicy(a: PinPolicy, b: PinPolicy): boolean {
  return (
    a.kind === b.kind && a.minLength === b.minLength && a.maxLength === b.maxLength && a.digitsOnly === b.digitsOnly &&
    a.maxRepeatedDigits === b.maxRepeatedDigits && a.maxSequenceLength === b.maxSequenceLength &&
    a.notExtension === b.notExtension && a.historyCount === b.historyCount && a.notDefault === b.notDefault
  );
}

function sameDraft(a: Draft, b: Draft): boolean {
  return (Object.keys(a) as Array<keyof Draft>).every((k) => a[k] === b[k]);
}

// ---- describing a policy in words (presets, conflict view) --------------------------------------

function lengthWords(p: PinPolicy): string {
  const unit = p.digitsOnly ? 'digits' : 'characters';
  if (p.minLength === p.maxLength) return `exactly ${p.minLength} ${unit}`;
  if (p.minLength === 0) return `up to ${p.maxLength} ${unit}`;
  return `${p.minLength} to ${p.maxLength} ${unit}`;
}

function describePolicy(p: PinPolicy): PolicyRow[] {
  return [
    { label: 'Length', value: lengthWords(p) },
    { label: 'Characters', value: p.digitsOnly ? 'digits 0–9 only' : 'letters and digits' },
    { label: 'Repeated digits', value: p.maxRepeatedDigits === null ? 'allowed' : `refused from ${p.maxRepeatedDigits} in a row` },
    { label: 'Ascending or descending digits', value: p.maxSequenceLength === null ? 'allowed' : `refused from ${p.maxSequenceLength} in a row` },
    { label: 'Extension number or its reverse', value: p.notExtension ? 'refused' : 'allowed' },
    { label: 'Previous PINs', value: p.historyCount === 0 ? 'not checked' : p.historyCount === 1 ? 'the last one refused' : `the last ${p.historyCount} refused` },
    { label: 'Default PIN', value: p.notDefault ? 'refused' : 'allowed' },
  ];
}

function presetSummary(p: PinPolicy): string {
  const parts = [lengthWords(p)];
  if (p.maxRepeatedDigits !== null || p.maxSequenceLength !== null) parts.push('no patterns');
  if (p.historyCount > 0) parts.push(p.historyCount === 1 ? 'not the last PIN' : `not the last ${p.historyCount}`);
  if (p.notDefault) parts.push('not the default');
  return parts.join(' · ');
}

function presetName(p: PinPolicy): string {
  const preset = presetOf(p);
  return preset ? presetLabel(preset, p.kind) : 'Custom';
}

// ---- the screen ------------------------------------------------------------------------------------

interface Props {
  /** Changes each time the connection comes (back) online: reload. */
  onlineEpoch: number;
  online: boolean;
}

type Server = Partial<Record<CredentialKind, PinPolicyResource>>;
interface Edit {
  /** The version the draft started from; its etag goes with Save. */
  base: PinPolicyResource;
  draft: Draft;
}

type LoadState = { status: 'loading' } | { status: 'ready' } | { status: 'failed'; message: string };

export function PoliciesScreen({ onlineEpoch, online }: Props) {
  const [load, setLoad] = useState<LoadState>({ status: 'loading' });
  const [server, setServer] = useState<Server>({});
  const [edits, setEdits] = useState<Partial<Record<CredentialKind, Edit>>>({});
  const [kind, setKind] = useState<CredentialKind>('voicemail_pin');
  const [busy, setBusy] = useState<CredentialKind | null>(null);
  const [error, setError] = useState<ErrorBody | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [liveNote, setLiveNote] = useState<string | null>(null);
  const busyRef = useRef<CredentialKind | null>(null);
  busyRef.current = busy;
  const serverRef = useRef<Server>(server);
  serverRef.current = server;

  /** Newer versions win: an answer or event for an older version never replaces a newer one. */
  const merge = useCallback((items: PinPolicyResource[], announce: boolean) => {
    const prev = serverRef.current;
    const next: Server = { ...prev };
    const changed: PinPolicyResource[] = [];
    for (const item of items) {
      const had = prev[item.kind];
      if (!had || item.version > had.version) {
        next[item.kind] = item;
        if (had) changed.push(item);
      }
    }
    serverRef.current = next;
    setServer(next);
    if (announce) {
      const others = changed.filter((c) => c.kind !== busyRef.current);
      if (others.length > 0) {
        setLiveNote(
          others
            .map((c) => `The ${CREDENTIAL_FORMATS[c.kind].label} policy was changed on the PBX${c.updatedBy ? ` by ${c.updatedBy}` : ''}.`)
            .join(' '),
        );
      }
    }
  }, []);

  const reload = useCallback(
    async (announce: boolean) => {
      try {
        const r = await call('policies.pin.list', {});
        merge(r.items, announce);
        setLoad({ status: 'ready' });
      } catch (e) {
        if (Object.keys(serverRef.current).length === 0) setLoad({ status: 'failed', message: errorBody(e).message });
      }
    },
    [merge],
  );

  useEffect(() => {
    void reload(onlineEpoch > 0 && Object.keys(serverRef.current).length > 0);
  }, [reload, onlineEpoch]);

  useEffect(
    () =>
      subscribeEvents((event) => {
        if (event.kind === 'resync') void reload(true);
        else if (event.kind === 'pbx' && event.event.type === 'settings.changed' && event.event.setting === 'pin_policy') void reload(true);
      }),
    [reload],
  );

  const current = server[kind];
  const edit = edits[kind];
  const basePolicy = edit?.base.policy ?? current?.policy ?? null;
  const draft = edit?.draft ?? (current ? toDraft(current.policy) : null);
  const parsed = draft ? parseDraft(kind, draft) : null;
  const dirtyOf = (k: CredentialKind): boolean => {
    const e = edits[k];
    return !!e && !sameDraft(e.draft, toDraft(e.base.policy));
  };
  const dirty = dirtyOf(kind);
  /** The PBX has a newer version than the one the draft started from, and it is not what the draft says. */
  const conflict =
    edit && current && dirty && busy !== kind && current.version > edit.base.version && !(parsed?.policy && samePolicy(parsed.policy, current.policy))
      ? current
      : null;

  const setDraft = (next: Draft) => {
    if (!current) return;
    setDone(null);
    setError(null);
    setEdits((all) => {
      const base = all[kind]?.base ?? current;
      const copy = { ...all };
      if (sameDraft(next, toDraft(base.policy)) && base.version === current.version) delete copy[kind];
      else copy[kind] = { base, draft: next };
      return copy;
    });
  };

  const discard = () => {
    setEdits((all) => {
      const copy = { ...all };
      delete copy[kind];
      return copy;
    });
    setError(null);
    setDone('Your changes were discarded.');
  };

  const keepMine = () => {
    if (!current || !edit) return;
    setEdits((all) => ({ ...all, [kind]: { base: current, draft: edit.draft } }));
    setError(null);
  };

  const save = async () => {
    if (!parsed?.policy || !dirty || conflict || !edit || busy) return;
    const savingKind = kind;
    const label = KIND_LABEL[savingKind];
    setBusy(savingKind);
    setError(null);
    setDone(null);
    setLiveNote(null);
    try {
      const res = await call('policies.pin.set', { etag: edit.base.etag, policy: parsed.policy });
      merge([res], false);
      setEdits((all) => {
        const copy = { ...all };
        delete copy[savingKind];
        return copy;
      });
      setDone(`Saved. Every new ${label.charAt(0).toLowerCase()}${label.slice(1)} must follow this policy from now on.`);
    } catch (e) {
      const body = errorBody(e);
      if (body.code === 'precondition_failed') {
        const cur = PinPolicyResourceSchema.safeParse(body.current);
        if (cur.success) merge([cur.data], false);
        else await reload(false);
        // The conflict view now shows both versions (derived from the newer version).
      } else {
        setError(body);
      }
    } finally {
      setBusy(null);
    }
  };

  const selectKind = (k: CredentialKind) => {
    setKind(k);
    setError(null);
    setDone(null);
    setLiveNote(null);
  };

  return (
    <main className="policies-screen" aria-labelledby="policies-title">
      <div className="toolbar">
        <div className="toolbar-title">
          <h1 id="policies-title">PIN policies</h1>
          <p className="muted">
            The rules every new password or PIN must follow, per credential kind. The PBX enforces them on every change: console,
            API, import and phone.
          </p>
        </div>
      </div>

      {load.status === 'failed' ? (
        <div className="notice error" role="alert">
          <ErrorIcon />
          <span>{`The PIN policies could not be loaded: ${load.message}`}</span>
          <button type="button" className="btn small-btn" onClick={() => void reload(false)}>
            Try again
          </button>
        </div>
      ) : null}
      {load.status === 'loading' ? <p className="loading">Loading the PIN policies…</p> : null}

      {load.status === 'ready' && current && draft && parsed && basePolicy ? (
        <div className="policies-body">
          <KindPicker
            kind={kind}
            server={server}
            edits={edits}
            dirtyOf={dirtyOf}
            onSelect={selectKind}
          />
          <div className="policy-main">
            <PolicyEditor
              key={kind}
              kind={kind}
              current={current}
              draft={draft}
              parsed={parsed}
              dirty={dirty}
              conflict={conflict}
              busy={busy === kind}
              online={online}
              error={error}
              done={done}
              liveNote={liveNote}
              onDraft={setDraft}
              onSave={() => void save()}
              onDiscard={discard}
              onKeepMine={keepMine}
              onUsePbx={() => {
                discard();
                setDone(null);
              }}
            />
            <PinTester kind={kind} policy={parsed.policy} dirty={dirty} online={online} />
          </div>
        </div>
      ) : null}
    </main>
  );
}

// ---- kind picker ---------------------------------------------------------------------------------

function KindPicker({
  kind,
  server,
  edits,
  dirtyOf,
  onSelect,
}: {
  kind: CredentialKind;
  server: Server;
  edits: Partial<Record<CredentialKind, Edit>>;
  dirtyOf: (k: CredentialKind) => boolean;
  onSelect: (k: CredentialKind) => void;
}) {
  const refs = useRef<Partial<Record<CredentialKind, HTMLButtonElement | null>>>({});
  const onKeyDown = (e: ReactKeyboardEvent<HTMLButtonElement>, k: CredentialKind) => {
    const i = KIND_ORDER.indexOf(k);
    let next: CredentialKind | undefined;
    if (e.key === 'ArrowDown') next = KIND_ORDER[(i + 1) % KIND_ORDER.length];
    else if (e.key === 'ArrowUp') next = KIND_ORDER[(i - 1 + KIND_ORDER.length) % KIND_ORDER.length];
    else if (e.key === 'Home') next = KIND_ORDER[0];
    else if (e.key === 'End') next = KIND_ORDER[KIND_ORDER.length - 1];
    if (!next) return;
    e.preventDefault();
    refs.current[next]?.focus();
  };
  return (
    <nav className="kind-picker" aria-label="Credential kinds">
      <ul>
        {KIND_ORDER.map((k) => {
          const res = server[k];
          const shown = edits[k]?.draft;
          const draftPolicy = shown ? parseDraft(k, shown).policy : null;
          const dirty = dirtyOf(k);
          return (
            <li key={k}>
              <button
                type="button"
                className={`kind-btn${k === kind ? ' current' : ''}`}
                aria-current={k === kind ? 'true' : undefined}
                ref={(el) => {
                  refs.current[k] = el;
                }}
                onClick={() => onSelect(k)}
                onKeyDown={(e) => onKeyDown(e, k)}
              >
                <span className="kind-name">{KIND_LABEL[k]}</span>
                <span className="kind-preset">
                  {res ? presetName(res.policy) : '…'}
                  {dirty ? (
                    <span className="badge badge-unsaved">{draftPolicy ? `Unsaved: ${presetName(draftPolicy)}` : 'Unsaved'}</span>
                  ) : null}
                </span>
              </button>
            </li>
          );
        })}
      </ul>
    </nav>
  );
}

// ---- the editor ----------------------------------------------------------------------------------

interface EditorProps {
  kind: CredentialKind;
  current: PinPolicyResource;
  draft: Draft;
  parsed: Parsed;
  dirty: boolean;
  conflict: PinPolicyResource | null;
  busy: boolean;
  online: boolean;
  error: ErrorBody | null;
  done: string | null;
  liveNote: string | null;
  onDraft: (d: Draft) => void;
  onSave: () => void;
  onDiscard: () => void;
  onKeepMine: () => void;
  onUsePbx: () => void;
}

function PolicyEditor({
  kind,
  current,
  draft,
  parsed,
  dirty,
  conflict,
  busy,
  online,
  error,
  done,
  liveNote,
  onDraft,
  onSave,
  onDiscard,
  onKeepMine,
  onUsePbx,
}: EditorProps) {
  const ids = useId();
  const now = useNow(30_000);
  const format = CREDENTIAL_FORMATS[kind];
  const label = KIND_LABEL[kind];
  const lower = format.label;
  const errors = parsed.errors;
  const errorFields = Object.keys(errors) as PolicyField[];
  const draftPreset = parsed.policy ? presetOf(parsed.policy) : null;
  const fieldRefs = useRef<Partial<Record<PolicyField, HTMLInputElement | null>>>({});
  const conflictRef = useRef<HTMLDivElement>(null);
  const errorRef = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (conflict) conflictRef.current?.scrollIntoView({ block: 'nearest' });
  }, [conflict]);
  useEffect(() => {
    if (error) errorRef.current?.scrollIntoView({ block: 'nearest' });
  }, [error]);

  const set = <K extends keyof Draft>(key: K, value: Draft[K]) => onDraft({ ...draft, [key]: value });

  const blocked = saveBlockedReason({ conflict: !!conflict, errorLabels: errorFields.map((f) => FIELD_LABEL[f]), separator: ', ', dirty, online });
  const canSave = blocked === null && !busy;

  /** ArrowUp / ArrowDown step a number field, like a spin button. */
  const step = (key: 'minLength' | 'maxLength' | 'maxRepeatedDigits' | 'maxSequenceLength' | 'historyCount') => ({
    onKeyDown: (e: ReactKeyboardEvent<HTMLInputElement>) => {
      if (e.key !== 'ArrowUp' && e.key !== 'ArrowDown') return;
      const n = parseWhole(draft[key]);
      if (n === null) return;
      e.preventDefault();
      set(key, String(n + (e.key === 'ArrowUp' ? 1 : -1)));
    },
  });

  const numberInput = (key: 'minLength' | 'maxLength' | 'maxRepeatedDigits' | 'maxSequenceLength' | 'historyCount') => ({
    value: draft[key],
    inputMode: 'numeric' as const,
    autoComplete: 'off',
    spellCheck: false,
    onChange: (e: ChangeEvent<HTMLInputElement>) => set(key, e.target.value),
    inputRef: (el: HTMLInputElement | null) => {
      fieldRefs.current[key] = el;
    },
    error: errors[key],
    ...step(key),
  });

  const draftState = dirty
    ? parsed.policy
      ? `Your draft: ${draftPreset ? `${presetLabel(draftPreset, kind)} preset` : 'custom rules'} — not saved yet.`
      : 'Your draft has errors — not saved.'
    : null;

  return (
    <section className="policy-editor" aria-labelledby={`${ids}-title`}>
      <div className="policy-head">
        <h2 id={`${ids}-title`}>{`${label} policy`}</h2>
        <p className="muted small">{`Used for ${KIND_USE[kind]}. Format: ${format.digitsOnly ? 'digits' : 'letters a–z, A–Z and digits'}, ${format.minLength}–${format.maxLength} long; the policy can only narrow that.`}</p>
        <p className="policy-now">
          <span>On the PBX now: </span>
          <span className="badge badge-preset">{presetName(current.policy)}</span>
          <span className="muted small">
            {current.updatedAt ? (
              <>
                {' Last changed '}
                {current.updatedBy ? `by ${current.updatedBy} ` : ''}
                <time dateTime={current.updatedAt} title={absoluteTime(current.updatedAt)}>
                  {relativeTime(current.updatedAt, now)}
                </time>
                {` (${absoluteTime(current.updatedAt)}).`}
              </>
            ) : (
              ' Never changed: the built-in default.'
            )}
          </span>
        </p>
      </div>

      {liveNote && !conflict ? (
        <p className="notice info" role="status">
          {liveNote}
        </p>
      ) : null}

      {conflict ? (
        <PolicyConflict
          boxRef={conflictRef}
          title={`The ${label.charAt(0).toLowerCase()}${label.slice(1)} policy was changed by someone else (${conflict.updatedBy ?? 'someone else'}${conflict.updatedAt ? ` ${relativeTime(conflict.updatedAt, now)}` : ''}) while you were editing. Your changes are not saved yet. Choose which version to keep.`}
          mineTitle={`Your version${parsed.policy ? ` (${presetName(parsed.policy)})` : ''}`}
          theirsTitle={`Now on the PBX (${presetName(conflict.policy)})`}
          mine={parsed.policy ? describePolicy(parsed.policy) : null}
          theirs={describePolicy(conflict.policy)}
          onUsePbx={onUsePbx}
          onKeepMine={onKeepMine}
        />
      ) : null}

      {/* a review: the presets and rules as exported, every control off (PolicyFormActions says why, in place of Save) */}
      <ReadOnlyFieldset note={false}>
        <div className="preset-group" role="group" aria-labelledby={`${ids}-presets`}>
          <h3 id={`${ids}-presets`}>Start from a preset</h3>
          <p className="muted small">One click puts the preset's rules into the form below; nothing changes on the PBX until you save.</p>
          <div className="preset-list">
            {PinPresets.map((p: PinPreset) => {
              const policy = pinPolicyPreset(p, kind);
              const pressed = draftPreset === p;
              return (
                <button
                  key={p}
                  type="button"
                  className="btn preset-btn"
                  aria-pressed={pressed}
                  onClick={() => onDraft(toDraft(policy))}
                  disabled={busy}
                >
                  <span className="preset-name">
                    {pressed ? <CheckIcon /> : null}
                    {presetLabel(p, kind)}
                  </span>
                  <span className="preset-summary">{presetSummary(policy)}</span>
                </button>
              );
            })}
          </div>
        </div>
      </ReadOnlyFieldset>

      <form
        className="policy-form"
        noValidate
        aria-labelledby={`${ids}-rules`}
        onSubmit={(e) => {
          e.preventDefault();
          if (canSave) onSave();
        }}
      >
        <h3 id={`${ids}-rules`}>Rules</h3>
        <ReadOnlyFieldset note={false}>
          <div className="rule-grid">
            <Field label="Minimum length" hint={`${format.minLength} to ${format.maxLength}`} {...numberInput('minLength')} />
            <Field label="Maximum length" hint={`${Math.max(1, format.minLength)} to ${format.maxLength}`} {...numberInput('maxLength')} />
          </div>

          <CheckRow
            label="Digits 0–9 only"
            checked={draft.digitsOnly}
            disabled={format.digitsOnly}
            hint={format.digitsOnly ? `Always on: a ${lower} is digits only.` : 'Off: letters a–z, A–Z and digits are allowed.'}
            error={errors.digitsOnly}
            onChange={(v) => set('digitsOnly', v)}
          />

          <div className="toggle-number">
            <CheckRow
              label="Refuse repeated digits"
              checked={draft.repeatOn}
              hint="Like 111: the same digit several times in a row."
              onChange={(v) => set('repeatOn', v)}
            />
            {draft.repeatOn ? (
              <Field label="Refused from (same digit in a row)" hint="2 refuses 11; 3 refuses 111 and allows 11." {...numberInput('maxRepeatedDigits')} />
            ) : null}
          </div>

          <div className="toggle-number">
            <CheckRow
              label="Refuse ascending or descending digits"
              checked={draft.sequenceOn}
              hint="Like 123 or 321 (no wrap-around: 890 is allowed)."
              onChange={(v) => set('sequenceOn', v)}
            />
            {draft.sequenceOn ? (
              <Field label="Refused from (digits in a row)" hint="2 to 10; 3 refuses 123 and allows 12." {...numberInput('maxSequenceLength')} />
            ) : null}
          </div>

          <CheckRow
            label="Refuse the extension number and its reverse"
            checked={draft.notExtension}
            hint="For extension 1234: 1234 and 4321."
            onChange={(v) => set('notExtension', v)}
          />

          <div className="history-field">
            <Field
              label="Refuse the last PINs (how many)"
              hint="0 = off, up to 24. The value and its reverse; checked by the PBX against stored hashes."
              {...numberInput('historyCount')}
            />
          </div>

          <CheckRow
            label="Refuse the number's default PIN"
            checked={draft.notDefault}
            hint="Checked by the PBX: every number has a random default PIN that users must replace."
            onChange={(v) => set('notDefault', v)}
          />
        </ReadOnlyFieldset>

        {error ? (
          <ErrorNotice
            error={error}
            boxRef={errorRef}
            detail={(d) => (
              <>
                <strong>{`${FIELD_LABEL[d.field as PolicyField] ?? d.field}: `}</strong>
                {d.message}
              </>
            )}
          />
        ) : null}

        <PolicyFormActions
          blockedId={`${ids}-blocked`}
          saveLabel={`Save ${lower} policy`}
          blocked={blocked}
          busy={busy}
          dirty={dirty}
          draftState={draftState}
          hasErrors={errorFields.length > 0}
          done={done}
          onDiscard={onDiscard}
          onGoToFirstError={() => fieldRefs.current[errorFields[0]!]?.focus()}
        />
      </form>
    </section>
  );
}

function CheckRow({
  label,
  checked,
  disabled,
  hint,
  error,
  onChange,
}: {
  label: string;
  checked: boolean;
  disabled?: boolean;
  hint?: string;
  error?: string | undefined;
  onChange: (v: boolean) => void;
}) {
  const id = useId();
  return (
    <div className="check-rule">
      <div className="check-field">
        <input
          id={id}
          type="checkbox"
          checked={checked}
          disabled={disabled}
          onChange={(e) => onChange(e.target.checked)}
          aria-describedby={hint || error ? `${id}-hint` : undefined}
          aria-invalid={error ? true : undefined}
        />
        <label htmlFor={id}>{label}</label>
      </div>
      {hint || error ? (
        <div id={`${id}-hint`} className="check-hint">
          {hint ? <span className="field-hint">{hint}</span> : null}
          {error ? (
            <span className="field-error">
              <ErrorIcon /> <span>{error}</span>
            </span>
          ) : null}
        </div>
      ) : null}
    </div>
  );
}

// ---- the tester ----------------------------------------------------------------------------------

/** The PBX's answer for one exact question (value, extension, kind, policy); stale once any of them changes. */
interface PbxAnswer {
  key: string;
  result: PinCheckResult;
}

function PinTester({ kind, policy, dirty, online }: { kind: CredentialKind; policy: PinPolicy | null; dirty: boolean; online: boolean }) {
  const ids = useId();
  const [pin, setPin] = useState('');
  const [extension, setExtension] = useState('');
  const [checking, setChecking] = useState(false);
  const [answer, setAnswer] = useState<PbxAnswer | null>(null);
  const [checkError, setCheckError] = useState<{ key: string; body: ErrorBody } | null>(null);
  const format = CREDENTIAL_FORMATS[kind];
  const what = format.label;
  const extText = extension.trim();
  const extError = extText !== '' && !/^[0-9]{2,10}$/.test(extText) ? 'Extension: an extension number is 2 to 10 digits.' : undefined;
  const extOk = extText !== '' && !extError;
  const key = JSON.stringify([kind, pin, extOk ? extText : '', dirty ? policy : 'stored']);
  const pbx = answer && answer.key === key ? answer.result : null;
  const failedOnPbx = new Set(pbx?.failed.map((f) => f.rule) ?? []);
  const uncheckedOnPbx = new Set(pbx?.unchecked ?? []);

  const context: PinCheckContext = extOk ? { extension: extText } : {};
  // What the PBX said about exactly this value feeds the engine, so its rules show as met or unmet.
  if (pbx && policy) {
    if (policy.historyCount > 0 && !uncheckedOnPbx.has('pin_reused')) context.reused = failedOnPbx.has('pin_reused');
    if (policy.notDefault && !uncheckedOnPbx.has('pin_is_default') && extOk) {
      context.defaultPin = failedOnPbx.has('pin_is_default') ? pin : null;
    }
  }
  const rules = policy ? pinRules(pin, policy, context) : [];
  const unmet = rules.filter((r) => r.met === false);
  const undecided = rules.filter((r) => r.met === null);

  let verdict: string;
  if (!policy) verdict = 'Fix the rules first to try a value against them.';
  else if (pin === '') verdict = `Type a ${what} to see which rules it meets.`;
  else if (unmet.length > 0) verdict = `Would be refused: ${unmet.length} ${unmet.length === 1 ? 'rule' : 'rules'} not met.`;
  else if (undecided.length > 0) verdict = `Meets every rule checked so far; ${undecided.length === 1 ? 'one rule needs' : `${undecided.length} rules need`} the PBX.`;
  else verdict = 'Would be accepted.';

  const canCheck = policy !== null && pin !== '' && pin.length <= 64 && !extError && !checking && online;
  const checkOnPbx = async () => {
    if (!canCheck || !policy) return;
    setChecking(true);
    setCheckError(null);
    try {
      const input: ChannelInput<'policies.pin.check'> = { kind, pin };
      if (extOk) input.extension = extText;
      if (dirty) input.policy = policy;
      setAnswer({ key, result: await call('policies.pin.check', input) });
    } catch (e) {
      setCheckError({ key, body: errorBody(e) });
    } finally {
      setChecking(false);
    }
  };
  const shownError = checkError && checkError.key === key ? checkError.body : null;

  return (
    <section className="pin-tester" aria-labelledby={`${ids}-title`}>
      <h2 id={`${ids}-title`}>Try a value</h2>
      <p className="muted small">
        {`Would this ${what} pass for this extension? Checked ${dirty ? 'against your draft (not saved yet)' : 'against the policy on the PBX'}, rule by rule as you type. Nothing is stored.`}
      </p>
      <form
        className="tester-question"
        noValidate
        aria-label={`Would this ${what} pass?`}
        onSubmit={(e) => {
          e.preventDefault();
          void checkOnPbx();
        }}
      >
        <Field
          label={`${what.charAt(0).toUpperCase()}${what.slice(1)} to try`}
          className="tester-pin"
          value={pin}
          onChange={(e) => setPin(e.target.value)}
          autoComplete="off"
          spellCheck={false}
          inputMode={format.digitsOnly ? 'numeric' : undefined}
        />
        <Field
          label="For extension (optional)"
          className="tester-ext"
          value={extension}
          onChange={(e) => setExtension(e.target.value)}
          autoComplete="off"
          spellCheck={false}
          inputMode="numeric"
          placeholder="e.g. 1234"
          error={extError}
        />
      </form>

      <p className={`tester-verdict${pin !== '' && policy ? (unmet.length > 0 ? ' fails' : undecided.length > 0 ? '' : ' passes') : ''}`} role="status">
        {pin !== '' && policy ? unmet.length > 0 ? <CrossIcon /> : undecided.length > 0 ? <DotIcon /> : <CheckIcon /> : null}
        <span>{verdict}</span>
      </p>

      {policy ? (
        <PinRuleList
          rules={rules}
          value={pin}
          what={what}
          stateText={(r, state) => {
            const byPbx = r.serverOnly && pbx && r.met !== null;
            if (state === 'met') return byPbx ? ' — met (checked on the PBX)' : ' — met';
            if (state === 'unmet') return byPbx ? ' — not met (checked on the PBX)' : ' — not met';
            if (state === 'server') return r.serverOnly ? (extOk ? ' — press “Check on the PBX”' : ' — needs an extension and the PBX') : ' — enter an extension to check this';
            return '';
          }}
        />
      ) : null}

      {policy ? (
        <div className="tester-pbx">
          <div className="form-actions">
            <button type="button" className="btn" onClick={() => void checkOnPbx()} disabled={!canCheck} aria-busy={checking || undefined}>
              Check on the PBX
            </button>
            {pbx ? (
              <span className={`small ${pbx.ok ? 'tester-ok' : 'tester-bad'}`} role="status">
                {pbx.ok
                  ? pbx.unchecked.some((r) => r !== 'pin_reused')
                    ? 'The PBX found no problem (some rules need an extension).'
                    : pbx.unchecked.length > 0
                      ? 'The PBX found no problem. Whether it was used before is checked when it is set.'
                      : 'The PBX would accept it.'
                  : `The PBX would refuse it (${pbx.failed.length} ${pbx.failed.length === 1 ? 'rule' : 'rules'}).`}
              </span>
            ) : null}
          </div>
          <p className="muted small">
            {policy.historyCount > 0 || policy.notDefault
              ? 'The default-PIN rule needs the PBX: give an extension and check on the PBX. The previous-PIN rule is checked only when a PIN is set (the tester never tells whether a value was used before). Nothing is changed there.'
              : 'Asks the PBX to run the same checks as when a value is set. Nothing is changed there.'}
          </p>
          {shownError ? (
            <div className="notice error" role="alert">
              <ErrorIcon />
              <span>{shownError.message}</span>
            </div>
          ) : null}
        </div>
      ) : null}
    </section>
  );
}
