import { serviceEntry } from './service-entry';

class Counter {
  private count = 0;
  constructor(private readonly step: number) {}
  add(): number {
    this.count += this.step;
    return this.count;
  }
  reset(): void {
    this.count = 0;
  }
}

class Greeter {
  constructor(private readonly name: string) {}
  greet(): string {
    return `hello ${this.name}`;
  }
}

class Example extends serviceEntry(
  (step: number, name?: string) => ({
    counter: new Counter(step),
    greeter: new Greeter(name ?? 'world'),
  }),
  { counter: ['add'], greeter: ['greet'] },
) {}

describe('serviceEntry', () => {
  it("serves the named methods of each part, bound to the part (its state is the part's)", () => {
    const entry = new Example(2);
    const { add } = entry;
    expect(add()).toBe(2);
    expect(entry.add()).toBe(4);
    expect(entry.greet()).toBe('hello world');
    expect(new Example(1, 'clinic').greet()).toBe('hello clinic');
  });

  it('serves only the methods it names', () => {
    const entry = new Example(1);
    expect(Object.keys(entry).sort()).toEqual(['add', 'greet']);
    expect('reset' in entry).toBe(false);
  });

  it('builds new parts for each instance', () => {
    const first = new Example(1);
    const second = new Example(1);
    first.add();
    expect(first.add()).toBe(2);
    expect(second.add()).toBe(1);
  });

  it('refuses a name that is not a method of its part', () => {
    const Broken = serviceEntry(() => ({ part: { value: 1 } as unknown as Counter }), {
      part: ['add'],
    });
    expect(() => new Broken()).toThrow('part.add is not a method');
  });
});
