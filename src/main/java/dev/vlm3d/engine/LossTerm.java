package dev.vlm3d.engine;

/**
 * One term of a step's loss {@code L = Σ weight·value}.
 *
 * @param name   "guidance", "reward" or "orientation"
 * @param weight the term's weight this step (the reward's is −λ_vlm: the reward is maximized)
 * @param value  the value of the differentiated quantity (for SDS its surrogate, whose gradient is the SDS gradient)
 */
public record LossTerm(String name, double weight, double value) {

    public double weighted() {
        return weight * value;
    }
}
