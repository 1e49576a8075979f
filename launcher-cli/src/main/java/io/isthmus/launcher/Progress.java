package io.isthmus.launcher;

import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

import java.io.PrintStream;

/** A progress bar on stderr for long commands (perplexity, quantize), drawn by the progressbar library. */
final class Progress implements AutoCloseable {
    private final ProgressBar bar;

    private Progress(ProgressBar bar) {
        this.bar = bar;
    }

    /** A bar of {@code total} steps named {@code task}, redrawn at most once a second. */
    static Progress of(String task, long total, String unit) {
        PrintStream err = System.err;
        return new Progress(new ProgressBarBuilder()
                .setTaskName(task)
                .setInitialMax(total)
                .setStyle(ProgressBarStyle.ASCII)
                .setUnit(" " + unit, 1)
                .setUpdateIntervalMillis(1000)
                .setConsumer(new ConsoleProgressBarConsumer(err, 100))
                .build());
    }

    void stepTo(long done, String message) {
        bar.stepTo(done);
        if (message != null) {
            bar.setExtraMessage(message);
        }
    }

    void setTotal(long total) {
        bar.maxHint(total);
    }

    @Override
    public void close() {
        bar.close();
    }
}
