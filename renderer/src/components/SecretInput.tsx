// A field for a new PIN or password: hidden while typed, with a "Show digits" toggle; never pre-filled and
// never remembered by the browser (autocomplete new-password).
import { useState, type Ref } from 'react';

export function SecretInput({
  id,
  inputRef,
  value,
  onChange,
  digitsOnly,
  invalid,
  describedBy,
}: {
  id: string;
  inputRef?: Ref<HTMLInputElement>;
  value: string;
  onChange: (value: string) => void;
  digitsOnly: boolean;
  invalid: boolean;
  describedBy?: string;
}) {
  const [show, setShow] = useState(false);
  return (
    <div className="password-row">
      <input
        id={id}
        ref={inputRef}
        type={show ? 'text' : 'password'}
        inputMode={digitsOnly ? 'numeric' : undefined}
        autoComplete="new-password"
        spellCheck={false}
        value={value}
        onChange={(e) => onChange(e.target.value)}
        aria-invalid={invalid || undefined}
        aria-describedby={describedBy}
      />
      <button type="button" className="btn ghost small-btn" aria-pressed={show} onClick={() => setShow((s) => !s)}>
        {digitsOnly ? 'Show digits' : 'Show'}
      </button>
    </div>
  );
}
