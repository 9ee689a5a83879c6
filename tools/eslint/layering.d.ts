// Types of the layering rule (tools/eslint/layering.js) for the tests that import it.
import type { ESLint, Rule } from 'eslint';

export declare const RANKS: { layers: string[]; peers?: boolean }[];
export declare function violation(file: string, source: string, target: string | null, typeOnly: boolean): string | undefined;
declare const plugin: ESLint.Plugin & { rules: { layering: Rule.RuleModule } };
export default plugin;
