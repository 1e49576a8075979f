package io.isthmus.launcher;

import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.DelegatingProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

import java.io.PrintStream;

/**
 * A progress bar on stderr for long commands (perplexity, quantize), drawn by the progressbar
 * library: redrawn in place on a terminal, else written as a line every ten seconds (logs, pipes).
 */
final class Progress implements AutoCloseable {
    private final ProgressBar bar;

    private Progress(ProgressBar bar) {
        this.bar = bar;
    }

    /** A bar of {@code total} steps named {@code task}. */
    static Progress of(String task, long total, String unit) {
        PrintStream err = System.err;
        boolean terminal = System.console() != null;
        return new Progress(new ProgressBarBuilder()
                .setTaskName(task)
                .setInitialMax(total)
                .setStyle(ProgressBarStyle.ASCII)
                .setUnit(" " + unit, 1)
                .setUpdateIntervalMillis(terminal ? 1000 : 10_000)
                .setConsumer(terminal ? new ConsoleProgressBarConsumer(err, 100)
                        : new DelegatingProgressBarConsumer(err::println, 100))
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
