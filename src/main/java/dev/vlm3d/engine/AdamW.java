package dev.vlm3d.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import dev.vlm3d.engine.field.Parameter;
import dev.vlm3d.engine.field.ParameterGroup;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * torch.optim.AdamW over our parameters with the moments owned here (created once, outside any NDScope) and one step
 * counter per group, so per-group learning rates and exact checkpoint/resume work. Every group steps every step: on
 * random-solid-background steps the background network has a zero gradient (not none), and AdamW still applies its
 * momentum and weight decay, as in the released code (docs/paper-vs-code.md).
 */
public final class AdamW {

    private final List<Parameter> parameters;
    private final OptimizerConfig config;
    private final NDArray[] firstMoments;
    private final NDArray[] secondMoments;
    private final Map<ParameterGroup, Integer> steps = new EnumMap<>(ParameterGroup.class);

    public AdamW(List<Parameter> parameters, OptimizerConfig config, NDManager stateManager) {
        this.parameters = List.copyOf(parameters);
        this.config = config;
        this.firstMoments = new NDArray[parameters.size()];
        this.secondMoments = new NDArray[parameters.size()];
        for (int i = 0; i < parameters.size(); i++) {
            NDArray w = parameters.get(i).array();
            firstMoments[i] = stateManager.zeros(w.getShape(), w.getDataType());
            secondMoments[i] = stateManager.zeros(w.getShape(), w.getDataType());
        }
        for (ParameterGroup g : ParameterGroup.values()) {
            steps.put(g, 0);
        }
    }

    public float learningRate(ParameterGroup group) {
        return switch (group) {
            case ENCODING -> config.encodingLr();
            case DENSITY_NETWORK -> config.densityLr();
            case FEATURE_NETWORK -> config.featureLr();
            case BACKGROUND -> config.backgroundLr();
        };
    }

    /** One AdamW step for every parameter; gradients are zeroed afterwards. */
    public void step() {
        for (ParameterGroup g : ParameterGroup.values()) {
            steps.merge(g, 1, Integer::sum);
        }
        for (int i = 0; i < parameters.size(); i++) {
            Parameter p = parameters.get(i);
            PtNDArray w = (PtNDArray) p.array();
            int t = steps.get(p.group());
            float lr = learningRate(p.group());
            float biasCorrection =
                    (float) (lr * Math.sqrt(1 - Math.pow(config.beta2(), t)) / (1 - Math.pow(config.beta1(), t)));
            try (NDArray grad = w.getGradient()) {
                JniUtils.adamUpdate(
                        w,
                        (PtNDArray) grad,
                        (PtNDArray) firstMoments[i],
                        (PtNDArray) secondMoments[i],
                        lr,
                        biasCorrection,
                        config.weightDecay(),
                        1f,
                        -1f,
                        config.beta1(),
                        config.beta2(),
                        config.eps(),
                        true);
            }
            JniUtils.zeroGrad(w);
        }
    }

    /** Drops the accumulated gradients without an update (a skipped step). */
    public void zeroGradients() {
        for (Parameter p : parameters) {
            JniUtils.zeroGrad((PtNDArray) p.array());
        }
    }

    public List<Parameter> parameters() {
        return parameters;
    }

    public NDArray firstMoment(int i) {
        return firstMoments[i];
    }

    public NDArray secondMoment(int i) {
        return secondMoments[i];
    }

    public int stepCount(ParameterGroup g) {
        return steps.get(g);
    }

    public void setStepCount(ParameterGroup g, int count) {
        steps.put(g, count);
    }
}
