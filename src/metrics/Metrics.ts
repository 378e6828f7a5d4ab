/**
 * A small metrics registry rendered in Prometheus' text format: counters, gauges and summaries
 * (quantiles over a sliding reservoir). No client library: the runtime needs a handful of series.
 */
export type Labels = Readonly<Record<string, string>>;

interface Series {
  readonly kind: 'counter' | 'gauge' | 'summary';
  readonly help: string;
  readonly values: Map<string, { labels: Labels; value: number; samples?: number[]; count?: number; sum?: number }>;
}

const RESERVOIR = 1024;

export class Metrics {
  private readonly series = new Map<string, Series>();

  counter(name: string, help: string): (labels?: Labels, by?: number) => void {
    const s = this.define(name, 'counter', help);
    return (labels = {}, by = 1) => {
      const v = this.cell(s, labels);
      v.value += by;
    };
  }

  gauge(name: string, help: string): (labels: Labels, value: number) => void {
    const s = this.define(name, 'gauge', help);
    return (labels, value) => {
      this.cell(s, labels).value = value;
    };
  }

  summary(name: string, help: string): (labels: Labels, value: number) => void {
    const s = this.define(name, 'summary', help);
    return (labels, value) => {
      const v = this.cell(s, labels);
      v.samples ??= [];
      v.count = (v.count ?? 0) + 1;
      v.sum = (v.sum ?? 0) + value;
      if (v.samples.length < RESERVOIR) v.samples.push(value);
      else v.samples[v.count % RESERVOIR] = value;
    };
  }

  /** Current value of a counter or gauge (summed over label sets matching `labels`). */
  value(name: string, labels: Labels = {}): number {
    const s = this.series.get(name);
    if (!s) return 0;
    let total = 0;
    for (const v of s.values.values()) {
      if (Object.entries(labels).every(([k, l]) => v.labels[k] === l)) total += s.kind === 'summary' ? (v.count ?? 0) : v.value;
    }
    return total;
  }

  render(): string {
    const out: string[] = [];
    for (const [name, s] of this.series) {
      out.push(`# HELP ${name} ${s.help}`, `# TYPE ${name} ${s.kind}`);
      for (const v of s.values.values()) {
        if (s.kind !== 'summary') {
          out.push(`${name}${fmt(v.labels)} ${v.value}`);
          continue;
        }
        const sorted = [...(v.samples ?? [])].sort((a, b) => a - b);
        for (const q of [0.5, 0.9, 0.99]) {
          const x = sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] : 0;
          out.push(`${name}${fmt({ ...v.labels, quantile: String(q) })} ${x}`);
        }
        out.push(`${name}_sum${fmt(v.labels)} ${v.sum ?? 0}`, `${name}_count${fmt(v.labels)} ${v.count ?? 0}`);
      }
    }
    return out.join('\n') + '\n';
  }

  private define(name: string, kind: Series['kind'], help: string): Series {
    let s = this.series.get(name);
    if (!s) {
      s = { kind, help, values: new Map() };
      this.series.set(name, s);
    }
    return s;
  }

  private cell(s: Series, labels: Labels) {
    const id = fmt(labels);
    let v = s.values.get(id);
    if (!v) {
      v = { labels, value: 0 };
      s.values.set(id, v);
    }
    return v;
  }
}

function fmt(labels: Labels): string {
  const entries = Object.entries(labels);
  if (entries.length === 0) return '';
  return `{${entries.map(([k, v]) => `${k}="${v.replace(/["\\\n]/g, '_')}"`).join(',')}}`;
}
