/** The data flags sngp-eval and sngp-calibrate share (commander), and their values as {@link DataOptions}. */
import type { Command } from 'commander';
import { parseClassList } from './classes.js';
import type { DataOptions } from './user-data.js';

/** The data flags as commander parses them. */
export interface DataFlagValues {
  data: string;
  labels?: string;
  labelColumn?: string;
  classes?: string;
  ood?: string;
  oodLabels?: string;
  oodLabelColumn?: string;
  oodClasses?: string;
}

/**
 * Add `--data`, `--labels`, `--label-column`, `--classes` and the `--ood*` flags to a command.
 * @param cmd - the command.
 * @param help - what `--data` and `--ood` mean for this command.
 * @returns the command.
 */
export function addDataFlags(cmd: Command, help: { data: string; ood: string }): Command {
  return cmd
    .requiredOption('--data <moons|file>', help.data)
    .option('--labels <file>', 'IDX only: the labels file of the --data images')
    .option('--label-column <name>', 'label column of the --data CSV (default: the last column)')
    .option('--classes <a,b,...>', 'keep only the --data rows of these classes (e.g. the classes the model was trained on)')
    .option('--ood <file>', help.ood)
    .option('--ood-labels <file>', 'IDX only: the labels file of the --ood images (needed for --ood-classes)')
    .option('--ood-label-column <name>', 'label column of the --ood CSV (default: the one column that is not a feature)')
    .option('--ood-classes <a,b,...>', 'keep only the --ood rows of these classes (e.g. held-out classes of the same file)');
}

/**
 * The parsed flags as data options (class lists checked).
 * @param o - commander's values.
 * @returns the data options.
 */
export function dataOptionsOf(o: DataFlagValues): DataOptions {
  return {
    data: o.data,
    labels: o.labels,
    labelColumn: o.labelColumn,
    classes: o.classes === undefined ? undefined : parseClassList(o.classes, '--classes'),
    ood: o.ood,
    oodLabels: o.oodLabels,
    oodLabelColumn: o.oodLabelColumn,
    oodClasses: o.oodClasses === undefined ? undefined : parseClassList(o.oodClasses, '--ood-classes'),
  };
}
