package io.isthmus.runtime.cluster;

/**
 * A worker ending itself when its launcher is gone: a launcher killed by SIGKILL runs no shutdown
 * hook, so without this its workers would run on as orphans. (PR_SET_PDEATHSIG is not used: it
 * follows the launcher thread that spawned the worker, not the launcher process.)
 */
public final class LauncherWatch {

    /** Exit status of a worker whose launcher died. */
    public static final int ORPHANED = 70;

    private LauncherWatch() {
    }

    /** Halts this JVM with {@link #ORPHANED} as soon as its parent process exits. */
    public static void haltWhenParentExits() {
        ProcessHandle.current().parent().ifPresentOrElse(
                parent -> parent.onExit().thenRun(() -> Runtime.getRuntime().halt(ORPHANED)),
                () -> Runtime.getRuntime().halt(ORPHANED));
    }
}
