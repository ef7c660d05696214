/** One chaos scenario: it sets up, injects its faults, checks its figure and cleans up after itself. */
export interface Scenario {
  name: string;
  run(): Promise<{ ok: boolean; line: string }>;
}
