/**
 * The runtime's metrics on prom-client: counters, gauges, histograms and summaries in a registry of
 * this instance's own (specs and simulations build many; the global registry is never touched),
 * rendered in Prometheus' text format, plus the default process and event-loop metrics when asked.
 * prom-client replaced a hand-written registry: histograms, the default Node metrics and a correct
 * exposition format are what Prometheus users expect.
 *
 * Each series also keeps its current value (count, for histograms and summaries) in a small mirror
 * beside prom-client's: `value()` reads it synchronously (specs, the simulation report), whereas
 * prom-client's `get()` is async in v15 because a metric may collect on read.
 *
 * Label names are given, or taken from the first labels object a series sees. On a hot path, bind a
 * label set once with `.labels(...)`: the bound updater holds its prom-client child and its mirror
 * cell, so no label set is looked up per call here (prom-client still hashes it inside, ~0.2 µs
 * for a counter, ~0.5 µs for a histogram: fine per batch, not per event).
 */
import { AggregatorRegistry, Counter, Gauge, Histogram, Registry, Summary, collectDefaultMetrics, type MetricObjectWithValues, type MetricValue } from 'prom-client';

export type Labels = Readonly<Record<string, string>>;

export interface CounterFn {
  (labels?: Labels, by?: number): void;
  labels(labels?: Labels): (by?: number) => void;
}

export interface GaugeFn {
  (labels: Labels, value: number): void;
  labels(labels?: Labels): (value: number) => void;
}

/** A histogram or a summary: each call observes one value. */
export interface ObserveFn {
  (labels: Labels, value: number): void;
  labels(labels?: Labels): (value: number) => void;
}

export interface MetricsOptions {
  /** prom-client's default metrics: process CPU and memory, event-loop lag, GC, handles. */
  readonly processMetrics?: boolean;
  /** Labels on every series (a worker thread's `worker`). */
  readonly defaultLabels?: Labels;
}

/** A registry's series as plain data (prom-client's `getMetricsAsJSON`), to cross a thread. */
export type MetricsSnapshot = MetricObjectWithValues<MetricValue<string>>[];

/** Seconds, from half a millisecond (a small batch in memory) to ten seconds (a stalled commit). */
export const LATENCY_BUCKETS: readonly number[] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

type Kind = 'counter' | 'gauge' | 'histogram' | 'summary';
type Metric = Counter | Gauge | Histogram | Summary;

interface Cell {
  readonly labels: Labels;
  value: number;
  update: (x: number) => void;
}

const NO_LABELS: Labels = Object.freeze({});

class Series {
  private metric?: Metric;
  private names?: readonly string[];
  readonly cells = new Map<string, Cell>();

  constructor(
    readonly kind: Kind,
    private readonly create: (labelNames: string[]) => Metric,
    labelNames?: readonly string[],
  ) {
    if (labelNames) this.define(labelNames);
  }

  get defined(): boolean {
    return this.names !== undefined;
  }

  sameLabels(labelNames: readonly string[]): boolean {
    return !this.names || (this.names.length === labelNames.length && this.names.every((n, i) => n === labelNames[i]));
  }

  define(labelNames: readonly string[]): void {
    this.names = [...labelNames];
    this.metric = this.create([...labelNames]);
  }

  cell(labels: Labels): Cell {
    if (!this.names) this.define(Object.keys(labels));
    const id = this.names!.length === 0 ? '' : this.names!.map((n) => labels[n]).join('\u0000');
    let cell = this.cells.get(id);
    if (!cell) {
      cell = this.newCell(labels);
      this.cells.set(id, cell);
    }
    return cell;
  }

  private newCell(labels: Labels): Cell {
    const metric = this.metric!;
    const cell: Cell = { labels, value: 0, update: () => {} };
    if (metric instanceof Counter) {
      const child = metric.labels(labels);
      cell.update = (by) => {
        child.inc(by);
        cell.value += by;
      };
    } else if (metric instanceof Gauge) {
      const child = metric.labels(labels);
      cell.update = (value) => {
        child.set(value);
        cell.value = value;
      };
    } else {
      const child = metric.labels(labels);
      cell.update = (value) => {
        child.observe(value);
        cell.value += 1;
      };
    }
    return cell;
  }
}

export class Metrics {
  readonly registry = new Registry();
  private readonly series = new Map<string, Series>();

  constructor(options: MetricsOptions = {}) {
    if (options.defaultLabels) this.registry.setDefaultLabels({ ...options.defaultLabels });
    if (options.processMetrics) collectDefaultMetrics({ register: this.registry });
  }

  counter(name: string, help: string, labelNames?: readonly string[]): CounterFn {
    const s = this.define(name, 'counter', labelNames, (names) => new Counter({ name, help, labelNames: names, registers: [this.registry] }));
    const fn = (labels: Labels = NO_LABELS, by = 1) => s.cell(labels).update(by);
    return Object.assign(fn, {
      labels: (labels: Labels = NO_LABELS) => {
        const cell = s.cell(labels);
        return (by = 1) => cell.update(by);
      },
    });
  }

  gauge(name: string, help: string, labelNames?: readonly string[]): GaugeFn {
    const s = this.define(name, 'gauge', labelNames, (names) => new Gauge({ name, help, labelNames: names, registers: [this.registry] }));
    return observer(s);
  }

  histogram(name: string, help: string, labelNames?: readonly string[], buckets: readonly number[] = LATENCY_BUCKETS): ObserveFn {
    const s = this.define(name, 'histogram', labelNames, (names) =>
      new Histogram({ name, help, labelNames: names, buckets: [...buckets], registers: [this.registry] }));
    return observer(s);
  }

  /** Quantiles 0.5, 0.9, 0.99 over the last ten minutes. Prefer a histogram: it aggregates across processes. */
  summary(name: string, help: string, labelNames?: readonly string[]): ObserveFn {
    const s = this.define(name, 'summary', labelNames, (names) =>
      new Summary({ name, help, labelNames: names, percentiles: [0.5, 0.9, 0.99], maxAgeSeconds: 600, ageBuckets: 5, registers: [this.registry] }));
    return observer(s);
  }

  /**
   * Current value of a counter or gauge, or the count of a histogram or summary, summed over the
   * label sets that match `labels`; 0 for a series never defined.
   */
  value(name: string, labels: Labels = NO_LABELS): number {
    const s = this.series.get(name);
    if (!s) return 0;
    const wanted = Object.entries(labels);
    let total = 0;
    for (const cell of s.cells.values()) {
      if (wanted.every(([k, v]) => cell.labels[k] === v)) total += cell.value;
    }
    return total;
  }

  /** The Prometheus text exposition of every series, the default metrics included when on. */
  render(): Promise<string> {
    return this.registry.metrics();
  }

  /** This registry's series as data, for another thread's `render` (`snapshot` then `renderWith`). */
  snapshot(): Promise<MetricsSnapshot> {
    return this.registry.getMetricsAsJSON();
  }

  /**
   * The text exposition of this registry beside other registries' snapshots (the worker threads'):
   * prom-client's AggregatorRegistry merges them, series told apart by their labels.
   */
  async renderWith(others: readonly MetricsSnapshot[]): Promise<string> {
    if (others.length === 0) return this.render();
    return AggregatorRegistry.aggregate([await this.snapshot(), ...others]).metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  private define(name: string, kind: Kind, labelNames: readonly string[] | undefined, create: (names: string[]) => Metric): Series {
    let s = this.series.get(name);
    if (!s) {
      s = new Series(kind, create, labelNames);
      this.series.set(name, s);
      return s;
    }
    if (s.kind !== kind) throw new Error(`metric ${name} is already defined as a ${s.kind}, not a ${kind}`);
    if (labelNames && !s.defined) s.define(labelNames);
    if (labelNames && !s.sameLabels(labelNames)) throw new Error(`metric ${name} is already defined with other label names than ${labelNames.join(', ')}`);
    return s;
  }
}

function observer(s: Series): GaugeFn & ObserveFn {
  const fn = (labels: Labels, value: number) => s.cell(labels).update(value);
  return Object.assign(fn, {
    labels: (labels: Labels = NO_LABELS) => s.cell(labels).update,
  });
}
