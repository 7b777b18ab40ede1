import HTTPCodec

/// Something that answers requests on the connection's event loop: it calls exactly one of the
/// writer's `respond`/`startStream` methods, now or later (from the same loop).
public typealias RouteHandler = @Sendable (HTTPRequest, ResponseWriter) -> Void

/// Method + path table with `{name}` path parameters. Answers 404 for unknown paths and 405 with
/// `Allow` for known paths with another method; `HEAD` is served by `GET` routes.
public struct Router: Sendable {
    /// The outcome of a lookup.
    public enum Match: Sendable {
        case found(RouteHandler, parameters: [String: String], route: String)
        case notFound
        case methodNotAllowed(allowed: [HTTPMethod])
    }

    private struct Route: Sendable {
        var pattern: String
        var method: HTTPMethod
        var segments: [Segment]
        var prefix: Bool
        var answers: HTTPStatus
        var handler: RouteHandler
    }

    private enum Segment: Sendable, Equatable {
        case literal(String)
        case parameter(String)
    }

    private var routes: [Route] = []

    public init() {}

    /// Every route pattern, once each, in the order added (the metric label values).
    public var patterns: [String] {
        var seen = Set<String>()
        return routes.map(\.pattern).filter { seen.insert($0).inserted }
    }

    /// Each route's pattern, method and the status it answers when it succeeds, once each, in the
    /// order added: the request-counter series that exist from the start.
    public var successes: [(route: String, method: HTTPMethod, status: HTTPStatus)] {
        var seen = Set<String>()
        return routes.filter { seen.insert($0.method.rawValue + " " + $0.pattern).inserted }
            .map { ($0.pattern, $0.method, $0.answers) }
    }

    /// Adds a route. `pattern` is a path like `/chat/stream/{id}`; a trailing `/*` matches any rest
    /// (the rest is the parameter `*`). `answers` is the status the handler sends when it succeeds.
    public mutating func add(_ method: HTTPMethod, _ pattern: String, answers: HTTPStatus = .ok,
                             _ handler: @escaping RouteHandler) {
        var parts = pattern.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        var prefix = false
        if parts.last == "*" {
            prefix = true
            parts.removeLast()
        }
        let segments: [Segment] = parts.map { part in
            if part.hasPrefix("{") && part.hasSuffix("}") { return .parameter(String(part.dropFirst().dropLast())) }
            return .literal(part)
        }
        routes.append(Route(pattern: pattern, method: method, segments: segments, prefix: prefix, answers: answers, handler: handler))
    }

    /// Finds the handler for `method` and `path` (the path without query, still percent-encoded).
    public func match(method: HTTPMethod, path: String) -> Match {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map(String.init)
        // Exact routes first; catch-all (`/*`) routes only when no exact route has this path.
        let exact = routes.filter { !$0.prefix && Self.match($0, parts: parts) != nil }
        let candidates = exact.isEmpty ? routes.filter(\.prefix) : exact
        var allowed: [HTTPMethod] = []
        for route in candidates {
            guard let parameters = Self.match(route, parts: parts) else { continue }
            if route.method == method || (method == .head && route.method == .get) {
                return .found(route.handler, parameters: parameters, route: route.pattern)
            }
            if !allowed.contains(route.method) { allowed.append(route.method) }
            if route.method == .get && !allowed.contains(.head) { allowed.append(.head) }
        }
        if allowed.isEmpty { return .notFound }
        return .methodNotAllowed(allowed: allowed)
    }

    private static func match(_ route: Route, parts: [String]) -> [String: String]? {
        var parts = parts
        // "/" splits into [""]; treat it as no segments.
        if parts == [""] { parts = [] }
        if route.prefix {
            guard parts.count >= route.segments.count else { return nil }
        } else {
            guard parts.count == route.segments.count else { return nil }
        }
        var parameters: [String: String] = [:]
        for (segment, part) in zip(route.segments, parts) {
            switch segment {
            case .literal(let literal):
                guard literal == part else { return nil }
            case .parameter(let name):
                guard !part.isEmpty else { return nil }
                parameters[name] = part
            }
        }
        if route.prefix {
            parameters["*"] = parts.dropFirst(route.segments.count).joined(separator: "/")
        }
        return parameters
    }
}
