import { useId, type InputHTMLAttributes, type ReactNode, type Ref } from 'react';
import { CheckIcon, ErrorIcon } from './icons';

interface FieldProps extends Omit<InputHTMLAttributes<HTMLInputElement>, 'id'> {
  label: string;
  /** Error text shown under the field (and announced with it). */
  error?: string | undefined;
  hint?: ReactNode;
  inputRef?: Ref<HTMLInputElement>;
}

/** A labelled text input with an optional hint and an error tied to it by aria-describedby. */
export function Field({ label, error, hint, inputRef, className, ...input }: FieldProps) {
  const id = useId();
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  const describedBy = [hint ? hintId : null, error ? errorId : null].filter(Boolean).join(' ') || undefined;
  return (
    <div className={`field${error ? ' has-error' : ''}${className ? ` ${className}` : ''}`}>
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        ref={inputRef}
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy}
        {...input}
      />
      {hint ? (
        <div id={hintId} className="field-hint">
          {hint}
        </div>
      ) : null}
      {error ? (
        <div id={errorId} className="field-error">
          <ErrorIcon /> <span>{error}</span>
        </div>
      ) : null}
    </div>
  );
}

/** The polite "Saved." line after an action (an empty live region until there is something to say). */
export function DoneStatus({ text }: { text: string | null }) {
  return (
    <p className="done" role="status">
      {text ? (
        <>
          <CheckIcon /> {text}
        </>
      ) : null}
    </p>
  );
}
