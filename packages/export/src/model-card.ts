import { type ModelCard, MODEL_CARD_FORMAT_VERSION } from '@sngp/core';
import type { BakedModel } from './baked-weights.js';

/**
 * The model card an exported model carries in metadata_props (encoded with core's encodeModelCard).
 * @param model - the baked model (method, classes, features, hyper-parameters, metrics).
 * @param graphProbs - whether the SNGP graph also outputs mean-field `probs`.
 * @param measuredVarianceError - SNGP: max relative variance error of the graph's posterior
 *   against the full one, measured at export (0 for a full posterior).
 * @returns the card.
 */
export function modelCardFor(model: BakedModel, graphProbs: boolean, measuredVarianceError = 0): ModelCard {
  const { config, hp } = model;
  const method = config.method;
  return {
    formatVersion: MODEL_CARD_FORMAT_VERSION,
    method,
    classes: config.classes,
    featureNames: config.featureNames,
    // SNGP: the calibrated lambda and T when the checkpoint has a calibration (baked-weights.ts).
    meanFieldFactor: method === 'sngp' ? (model.gp?.meanField.lambda ?? hp.meanFieldFactor) : null,
    numSamples: method === 'mc-dropout' ? hp.mcSamples : method === 'ensemble' ? hp.ensembleSize : null,
    dropoutNoiseShape: method === 'mc-dropout' ? [hp.numLayers, hp.hiddenDim] : null,
    graphProbs: method === 'sngp' && graphProbs,
    trainingMetrics: config.metrics,
    // Every method: the calibrated temperature (1 without calibration; MC dropout and ensemble
    // graphs bake it into `probs`).
    temperature: model.temperature,
    ...(method === 'sngp' && model.gp
      ? {
          posterior: {
            kind: model.gp.posterior.kind,
            rank: model.gp.posterior.rank,
            relativeErrorBound: model.gp.posterior.relativeErrorBound,
            absoluteErrorBound: model.gp.posterior.absoluteErrorBound,
            measuredRelativeError: measuredVarianceError,
          },
        }
      : {}),
    ...(config.calibration
      ? {
          calibration: {
            data: config.calibration.data,
            rows: config.calibration.rows,
            ...(method === 'sngp' ? { meanFieldFactorBefore: hp.meanFieldFactor } : {}),
            nllBefore: config.calibration.nllBefore,
            nllAfter: config.calibration.nllAfter,
            eceBefore: config.calibration.eceBefore,
            eceAfter: config.calibration.eceAfter,
            ...(config.calibration.atBound?.length ? { atBound: config.calibration.atBound.join('; ') } : {}),
          },
        }
      : {}),
    training: {
      epochs: config.training.epochs,
      batchSize: config.training.batchSize,
      learningRate: config.training.learningRate,
      recipe: config.training.recipe ?? null,
    },
    // How raw columns become the `features` input (absent for plain numeric data)
    ...(config.preprocessing ? { preprocessing: config.preprocessing } : {}),
  };
}
