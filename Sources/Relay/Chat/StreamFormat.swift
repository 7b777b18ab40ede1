import HTTPCodec

/// How a stream is written: SSE (default), NDJSON, or content-only plain text (for clients without
/// EventSource), chosen from `Accept`.
public enum StreamFormat: String, Sendable, Equatable {
    case eventStream = "text/event-stream"
    case ndjson = "application/x-ndjson"
    case plainText = "text/plain"

    /// The best supported media range in `Accept` (quality values respected; ties go to the order
    /// SSE, NDJSON, text). No `Accept`, `*/*` or nothing supported → SSE.
    public static func negotiate(_ accept: String?) -> StreamFormat {
        guard let accept, !accept.isEmpty else { return .eventStream }
        var best: (format: StreamFormat, quality: Double, rank: Int)?
        for range in accept.split(separator: ",") {
            let parts = range.split(separator: ";").map { $0.trimmingSpaces().lowercased() }
            guard let mediaType = parts.first else { continue }
            var quality = 1.0
            for parameter in parts.dropFirst() where parameter.hasPrefix("q=") {
                quality = Double(parameter.dropFirst(2)) ?? 0
            }
            guard quality > 0 else { continue }
            let candidates: [StreamFormat]
            switch mediaType {
            case "text/event-stream": candidates = [.eventStream]
            case "application/x-ndjson", "application/ndjson", "application/jsonl": candidates = [.ndjson]
            case "text/plain": candidates = [.plainText]
            case "*/*", "text/*": candidates = [.eventStream]
            default: candidates = []
            }
            for format in candidates {
                let rank = format == .eventStream ? 0 : format == .ndjson ? 1 : 2
                if best == nil || quality > best!.quality || (quality == best!.quality && rank < best!.rank) {
                    best = (format, quality, rank)
                }
            }
        }
        return best?.format ?? .eventStream
    }

    /// The response `Content-Type`.
    public var contentType: String {
        switch self {
        case .eventStream: return "text/event-stream; charset=utf-8"
        case .ndjson: return "application/x-ndjson"
        case .plainText: return "text/plain; charset=utf-8"
        }
    }
}
