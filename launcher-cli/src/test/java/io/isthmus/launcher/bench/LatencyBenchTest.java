package io.isthmus.launcher.bench;

import io.isthmus.runtime.api.Engine;
import io.isthmus.runtime.api.EngineOptions;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The bench's runs on the bundled model: every point timed --repeat times, and every generation announced to the progress. */
class LatencyBenchTest {
    private static final Path MODEL = Path.of("../examples/models/stories260K.gguf").toAbsolutePath().normalize();

    @Test
    void warmUpRoundsAreAnnouncedAndEveryPointIsTimedRepeatTimes() throws Exception {
        int points = 2 * 2, repeat = 3;
        long[] announced = {points * (1L + repeat)}; // what the bench command tells its progress bar up front
        long[] done = {0};
        try (Engine engine = Engine.open(MODEL, EngineOptions.defaults().withThreads(1))) {
            List<LatencyPoint> result = LatencyBench.run(engine, 1, new int[] {4, 9}, 3, new int[] {1, 2}, new int[] {1},
                    repeat, new LatencyBench.Progress() {
                        @Override
                        public void runDone() {
                            done[0]++;
                        }

                        @Override
                        public void moreRuns(int runs) {
                            assertEquals(points, runs, "a warm-up round runs every point once");
                            announced[0] += runs;
                        }
                    });
            assertEquals(points, result.size());
            for (LatencyPoint p : result) {
                assertEquals(repeat, p.perTokenMs().length, p.toString());
                for (double ms : p.perTokenMs()) {
                    assertTrue(ms > 0, p.toString());
                }
            }
        }
        assertEquals(announced[0], done[0], "generations run against generations announced");
    }
}
