/** Names and "what to look for" captions of the four methods (the tutorial's wording where it has one). */
import type { Method } from '@sngp/core';

/** The tutorial's model names, used in titles. */
export const LABELS: Record<Method, string> = {
  deterministic: 'Deterministic Model',
  sngp: 'SNGP',
  'mc-dropout': 'MC Dropout',
  ensemble: 'Deep Ensemble',
};

/** One or two sentences under each method's plots: what the surfaces should show. */
export const CAPTIONS: Record<Method, string> = {
  deterministic:
    'Look at the red OOD cluster: the plain network is confidently one class there (dark or yellow, never teal) and its uncertainty is high only along the decision boundary.',
  sngp:
    'Away from both moons p(class 0) fades to 0.5 (teal) and the uncertainty rises everywhere, the OOD cluster included: distance awareness. Raise λ to push far-away points further towards 0.5.',
  'mc-dropout':
    'Dropout samples disagree a little more near the boundary, but the OOD cluster still looks certain: sampling weights does not see distance from the data.',
  ensemble:
    'Members disagree in a wider band around the boundary than one network, yet far regions that all members extrapolate alike still look certain.',
};
