package dev.vlm3d.evaluation;

import java.awt.image.BufferedImage;
import java.util.List;

/** Answers one GPTEval3D question: which side is better on each of its criteria. */
public interface Judge extends AutoCloseable {

    /**
     * One criterion's answer.
     *
     * @param choice        1 = left better, 2 = right better, 3 = cannot decide (the instruction's options)
     * @param probabilities p(1), p(2), p(3) renormalized over the three option tokens
     * @param optionMass    the share of the full next-token distribution on the three options (how much the model
     *                      itself wanted to answer with an option at that point)
     */
    record Answer(int choice, double[] probabilities, double optionMass) {

        /** The benchmark's outcome encoding: −1 = m1 (left) won, +1 = m2 (right) won, 0 = draw. */
        public int result() {
            return choice == 1 ? -1 : choice == 2 ? 1 : 0;
        }
    }

    /**
     * @param composite the side-by-side image
     * @param userText  the instruction text and the benchmark's suffix with the prompt
     * @param criteria  how many criteria the instruction asks for (answered in order)
     */
    List<Answer> judge(BufferedImage composite, String userText, int criteria);

    /** What to record about the judge in results (model folder, mode). */
    String describe();

    @Override
    default void close() {}
}
