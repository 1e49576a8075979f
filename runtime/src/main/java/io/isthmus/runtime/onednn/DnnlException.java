package io.isthmus.runtime.onednn;

/** A oneDNN call that returned a status other than {@code dnnl_success}; the message names the call. */
public final class DnnlException extends RuntimeException {
    private static final String[] STATUS = {"success", "out_of_memory", "invalid_arguments", "unimplemented",
            "last_impl_reached", "runtime_error", "not_required", "invalid_graph", "invalid_graph_op",
            "invalid_shape", "invalid_data_type"};

    DnnlException(String call, int status) {
        super(call + " failed: dnnl_" + statusName(status) + " (" + status + ")");
    }

    static String statusName(int status) {
        return status >= 0 && status < STATUS.length ? STATUS[status] : "status_" + status;
    }
}
