import SparkUpstream

extension SparkClientError {
    /// Maps a failed conversation of the relay's Spark client onto the public error, keeping its
    /// diagnosis (already free of secrets) and sid. `path` is the endpoint path that was asked for.
    init(_ error: SparkUpstreamError, path: String) {
        switch error.kind {
        case .unreachable: self = .unreachable(diagnosis: error.message)
        case .tls: self = .tls(diagnosis: error.message)
        case .unauthorized: self = .unauthorized(diagnosis: error.message)
        case .clockSkew(let seconds): self = .clockSkew(seconds: seconds, diagnosis: error.message)
        case .forbidden: self = .forbidden(diagnosis: error.message)
        case .notFound: self = .notFound(path: path, diagnosis: error.message)
        case .handshakeFailed(let status): self = .handshakeFailed(status: status, diagnosis: error.message)
        case .timeout(let phase): self = .timeout(TimeoutPhase(phase), diagnosis: error.message)
        case .spark(let code): self = .spark(code: code, message: error.message, sid: error.sid)
        case .protocolError, .malformedFrame: self = .protocolError(sid: error.sid, diagnosis: error.message)
        case .closedBeforeEnd: self = .closedBeforeEnd(sid: error.sid, diagnosis: error.message)
        }
    }
}

extension SparkClientError.TimeoutPhase {
    /// The public name of an upstream timeout phase.
    init(_ phase: SparkUpstreamError.Phase) {
        switch phase {
        case .connect: self = .connect
        case .handshake: self = .handshake
        case .firstFrame: self = .firstFrame
        case .idle: self = .idle
        }
    }
}
