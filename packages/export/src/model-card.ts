import { type ModelCard, MODEL_CARD_FORMAT_VERSION } from '@sngp/core';
import type { BakedModel } from './baked-weights.js';

/**
 * The model card an exported model carries in metadata_props (encoded with core's encodeModelCard).
 * @param model - the baked model (method, classes, features, hyper-parameters, metrics).
 * @param graphProbs - whether the SNGP graph also outputs mean-field `probs`.
 * @returns the card.
 */
export function modelCardFor(model: BakedModel, graphProbs: boolean): ModelCard {
  const { config, hp } = model;
  const method = config.method;
  return {
    formatVersion: MODEL_CARD_FORMAT_VERSION,
    method,
    classes: config.classes,
    featureNames: config.featureNames,
    meanFieldFactor: method === 'sngp' ? hp.meanFieldFactor : null,
    numSamples: method === 'mc-dropout' ? hp.mcSamples : method === 'ensemble' ? hp.ensembleSize : null,
    dropoutNoiseShape: method === 'mc-dropout' ? [hp.numLayers, hp.hiddenDim] : null,
    graphProbs: method === 'sngp' && graphProbs,
    trainingMetrics: config.metrics,
  };
}
