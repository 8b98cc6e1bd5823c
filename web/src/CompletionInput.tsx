/**
 * A text input that offers completions as you type: the ARIA 1.2 combobox pattern (the input
 * is the combobox, a listbox of options below it). Arrow Down / Up move through the options
 * (the list opens on Arrow Down), Enter takes the active option (with none active, Enter is
 * the form's), Esc closes the list, a click takes an option. Free text is always allowed.
 */
import { useId, useRef, useState, type InputHTMLAttributes, type KeyboardEvent } from 'react';
import type { Completion } from './completion.js';

type InputProps = Omit<InputHTMLAttributes<HTMLInputElement>, 'value' | 'onChange' | 'role'>;

export function CompletionInput(
  props: InputProps & {
    value: string;
    onValue: (v: string) => void;
    /** The completion for the text and the cursor position. */
    complete: (value: string, cursor: number) => Completion;
    /** The listbox's accessible name, e.g. "Field names". */
    listLabel: string;
  },
) {
  const { value, onValue, complete, listLabel, className, ...rest } = props;
  const id = useId();
  const listId = `${id}-list`;
  const ref = useRef<HTMLInputElement>(null);
  const [cursor, setCursor] = useState(0);
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(-1);
  const c = complete(value, cursor);
  const items = c.items;
  const shown = open && items.length > 0;

  const sync = (el: HTMLInputElement) => setCursor(el.selectionStart ?? el.value.length);
  const take = (item: string) => {
    const next = c.apply(item);
    onValue(next.value);
    setCursor(next.cursor);
    setOpen(false);
    setActive(-1);
    // Put the caret after the inserted text once React has rendered the new value.
    requestAnimationFrame(() => {
      const el = ref.current;
      if (!el) return;
      el.focus();
      el.setSelectionRange(next.cursor, next.cursor);
    });
  };

  const onKeyDown = (e: KeyboardEvent<HTMLInputElement>) => {
    if (e.key === 'ArrowDown') {
      if (!items.length) return;
      e.preventDefault();
      setOpen(true);
      setActive((a) => (shown ? (a + 1) % items.length : 0));
    } else if (e.key === 'ArrowUp') {
      if (!shown) return;
      e.preventDefault();
      setActive((a) => (a <= 0 ? items.length - 1 : a - 1));
    } else if (e.key === 'Enter') {
      if (shown && active >= 0 && items[active]) {
        e.preventDefault();
        take(items[active]);
      } else setOpen(false); // Enter is the form's: the list closes as it submits.
    } else if (e.key === 'Escape') {
      if (shown) {
        e.preventDefault();
        e.stopPropagation();
        setOpen(false);
        setActive(-1);
      }
    }
  };

  return (
    <span className="completion">
      <input
        {...rest}
        ref={ref}
        className={className}
        role="combobox"
        aria-autocomplete="list"
        aria-expanded={shown}
        aria-controls={listId}
        aria-activedescendant={shown && active >= 0 ? `${id}-opt-${active}` : undefined}
        autoComplete="off"
        value={value}
        onChange={(e) => {
          onValue(e.target.value);
          sync(e.target);
          setOpen(true);
          setActive(-1);
        }}
        onKeyDown={onKeyDown}
        onKeyUp={(e) => {
          if (e.key === 'ArrowLeft' || e.key === 'ArrowRight' || e.key === 'Home' || e.key === 'End')
            sync(e.currentTarget);
        }}
        onClick={(e) => sync(e.currentTarget)}
        onBlur={() => {
          setOpen(false);
          setActive(-1);
        }}
      />
      <ul className="completion-list" id={listId} role="listbox" aria-label={listLabel} hidden={!shown}>
        {shown &&
          items.map((item, i) => (
            <li
              key={item}
              id={`${id}-opt-${i}`}
              role="option"
              aria-selected={i === active}
              className={i === active ? 'active' : ''}
              // Before the input's blur closes the list.
              onMouseDown={(e) => {
                e.preventDefault();
                take(item);
              }}
            >
              {item}
            </li>
          ))}
      </ul>
    </span>
  );
}
