/**
 * How the four methods are named and explained on the two-moons surfaces, shared by the report
 * (`@sngp/eval`) and the web demo so both say the same (the tutorial's names where it has them).
 */
import type { Method } from './checkpoint.js';

/** The tutorial's model names, used in figure and panel titles. */
export const METHOD_LABELS: Record<Method, string> = {
  deterministic: 'Deterministic Model',
  sngp: 'SNGP',
  'mc-dropout': 'MC Dropout',
  ensemble: 'Deep Ensemble',
};

/** One or two sentences under each method's two-moons surfaces: what they should show. */
export const METHOD_CAPTIONS: Record<Method, string> = {
  deterministic:
    'Look at the red OOD cluster: the plain network is confidently one class there (dark or yellow, never teal) and its uncertainty is high only along the decision boundary.',
  sngp:
    'Away from both moons p(class 0) fades to 0.5 (teal) and the uncertainty rises everywhere, the OOD cluster included: distance awareness.',
  'mc-dropout':
    'Dropout samples disagree a little more near the boundary, but the OOD cluster still looks certain: sampling weights does not see distance from the data.',
  ensemble:
    'Members disagree in a wider band around the boundary than one network, yet far regions that all members extrapolate alike still look certain.',
};
