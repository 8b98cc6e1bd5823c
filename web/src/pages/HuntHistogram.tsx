/**
 * Threat Hunting's histogram: bars over time with a y-axis, the bucket size ("1 bar = 1 hour"),
 * the outliers "All time" left out, and zoom: drag across bars (or click one), or with the
 * keyboard (arrows move, Shift+arrows select, Enter zooms, Esc clears). The arithmetic is in
 * ../histogram.ts.
 */
import { useEffect, useId, useRef, useState, type KeyboardEvent, type PointerEvent } from 'react';
import {
  barAt,
  compactCount,
  describeHistogram,
  intervalLabel,
  niceTicks,
  outliersText,
  selectionWindow,
  type HistogramData,
} from '../histogram.js';

const W = 1000;
const H = 100;

export function HuntHistogram(props: {
  h: HistogramData;
  /** A time as the page shows it (its zone). */
  fmt: (ms: number) => string;
  onZoom: (from: number, to: number) => void;
}) {
  const { h, fmt } = props;
  const n = h.buckets.length;
  const descId = useId();
  const svgRef = useRef<SVGSVGElement>(null);
  /** The bar the keyboard is on. */
  const [cursor, setCursor] = useState<number | null>(null);
  /** The selection being dragged or picked with Shift+arrows: [anchor, end]. */
  const [sel, setSel] = useState<[number, number] | null>(null);
  const dragging = useRef(false);

  // A new histogram (new search): the old bars' selection means nothing.
  useEffect(() => {
    setSel(null);
    setCursor(null);
  }, [h]);

  if (n === 0) return null;
  const max = Math.max(0, ...h.buckets.map((b) => b.count));
  const ticks = niceTicks(max);
  const top = ticks[ticks.length - 1]!;
  const bw = W / n;
  const first = h.buckets[0]!.start;
  const last = h.buckets[n - 1]!.start + h.interval;
  const mid = h.buckets[Math.floor(n / 2)]!.start;
  const lo = sel ? Math.min(...sel) : null;
  const hi = sel ? Math.max(...sel) : null;

  const barOf = (e: PointerEvent) => {
    const r = svgRef.current!.getBoundingClientRect();
    return barAt(e.clientX - r.left, r.width, n);
  };
  const zoom = (a: number, b: number) => {
    const w = selectionWindow(h, a, b);
    setSel(null);
    if (w) props.onZoom(w.from, w.to);
  };

  const onPointerDown = (e: PointerEvent<SVGSVGElement>) => {
    if (e.button !== 0) return;
    const i = barOf(e);
    dragging.current = true;
    e.currentTarget.setPointerCapture?.(e.pointerId);
    setSel([i, i]);
  };
  const onPointerMove = (e: PointerEvent<SVGSVGElement>) => {
    if (!dragging.current) return;
    const i = barOf(e);
    setSel((s) => (s ? [s[0], i] : [i, i]));
  };
  const onPointerUp = (e: PointerEvent<SVGSVGElement>) => {
    if (!dragging.current) return;
    dragging.current = false;
    const i = barOf(e);
    const a = sel ? sel[0] : i;
    zoom(a, i);
  };

  const onKey = (e: KeyboardEvent<HTMLDivElement>) => {
    const at = cursor ?? n - 1;
    let next: number | null = null;
    if (e.key === 'ArrowLeft') next = Math.max(0, at - 1);
    else if (e.key === 'ArrowRight') next = Math.min(n - 1, at + 1);
    else if (e.key === 'Home') next = 0;
    else if (e.key === 'End') next = n - 1;
    else if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      if (sel) zoom(sel[0], sel[1]);
      else if (cursor !== null) zoom(cursor, cursor);
      return;
    } else if (e.key === 'Escape' && (sel || cursor !== null)) {
      e.preventDefault();
      e.stopPropagation();
      setSel(null);
      setCursor(null);
      return;
    } else return;
    e.preventDefault();
    if (e.shiftKey) setSel((s) => [s ? s[0] : at, next]);
    else setSel(null);
    setCursor(next);
  };

  const status = (() => {
    if (sel && lo !== hi) {
      const w = selectionWindow(h, sel[0], sel[1])!;
      const count = h.buckets.slice(lo!, hi! + 1).reduce((s, b) => s + b.count, 0);
      return `Selected ${hi! - lo! + 1} bars, ${fmt(w.from)} to ${fmt(w.to + 1)}: ${count.toLocaleString('en-US')} records. Enter zooms.`;
    }
    if (cursor !== null) {
      const b = h.buckets[cursor]!;
      return `Bar ${cursor + 1} of ${n}: ${fmt(b.start)} to ${fmt(b.start + h.interval)}, ${b.count.toLocaleString('en-US')} records. Enter zooms to it, Shift+arrows select more.`;
    }
    return '';
  })();

  return (
    <figure className="histogram" data-testid="histogram">
      <div className="hist-head">
        <span className="hist-bucket" data-testid="hist-bucket">
          1 bar = {intervalLabel(h.interval)}
        </span>
        {h.span && h.span.before + h.span.after > 0 && (
          <span className="hist-outliers" data-testid="hist-outliers">
            {outliersText(h.span, fmt)}
          </span>
        )}
        <span className="spacer" />
        <span className="muted small">Drag across bars to zoom</span>
      </div>
      <div className="hist-plot">
        <div className="hist-yaxis" aria-hidden="true" data-testid="hist-yaxis">
          {ticks.map((t) => (
            <span key={t} style={{ bottom: `${(t / top) * 100}%` }}>
              {compactCount(t)}
            </span>
          ))}
        </div>
        <div
          className="hist-area"
          tabIndex={0}
          role="group"
          aria-label="Records over time. Arrow keys move between bars, Shift+arrows select, Enter zooms to the selection"
          aria-describedby={descId}
          onKeyDown={onKey}
          onBlur={() => !sel && setCursor(null)}
        >
          <svg
            ref={svgRef}
            viewBox={`0 0 ${W} ${H}`}
            preserveAspectRatio="none"
            aria-hidden="true"
            onPointerDown={onPointerDown}
            onPointerMove={onPointerMove}
            onPointerUp={onPointerUp}
            onPointerCancel={() => {
              dragging.current = false;
              setSel(null);
            }}
          >
            {ticks.slice(1).map((t) => (
              <line key={t} x1="0" x2={W} y1={H - (t / top) * H} y2={H - (t / top) * H} className="grid" />
            ))}
            {h.buckets.map((b, i) => {
              if (b.count === 0) return null;
              const bh = (b.count / top) * H;
              return (
                <rect
                  key={b.start}
                  x={i * bw + 0.5}
                  y={H - bh}
                  width={Math.max(1, bw - 1)}
                  height={bh}
                  className={`bar${cursor === i ? ' bar-cursor' : ''}`}
                >
                  <title>
                    {fmt(b.start)}: {b.count.toLocaleString('en-US')} records
                  </title>
                </rect>
              );
            })}
            {lo !== null && hi !== null && (
              <rect
                className="hist-sel"
                data-testid="hist-selection"
                x={lo * bw}
                y={0}
                width={(hi - lo + 1) * bw}
                height={H}
              />
            )}
            {cursor !== null && <rect className="hist-cursor" x={cursor * bw} y={0} width={bw} height={H} />}
          </svg>
        </div>
      </div>
      <figcaption className="hist-axis">
        <span>{fmt(first)}</span>
        <span>{fmt(mid)}</span>
        <span>{fmt(last)}</span>
      </figcaption>
      <p id={descId} className="sr-only">
        {describeHistogram(h, fmt)}
      </p>
      <p className="sr-only" aria-live="polite" data-testid="hist-status">
        {status}
      </p>
    </figure>
  );
}
