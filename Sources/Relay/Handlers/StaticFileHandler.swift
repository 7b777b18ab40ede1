import Dispatch
import Glibc
import RelayIO
import HTTPCodec
import SparkCodec

/// Serves files from the public directory at `/`: `index.html` for directories, content types by
/// extension, `ETag`/`Last-Modified` with `304`. Refuses traversal, dotfiles, and anything that
/// resolves (through symlinks) outside the directory. Files are read off the event loop.
public struct StaticFileHandler: Sendable {
    /// Files larger than this are not served (`404`), so one request cannot pin unbounded memory.
    public static let defaultMaxFileBytes = 8 * 1024 * 1024

    private let root: String?
    private let maxFileBytes: Int
    private let ioQueue = DispatchQueue(label: "spark-relay.static", attributes: .concurrent)

    /// `directory` is resolved once (symlinks included); a missing directory serves 404s.
    public init(directory: String, maxFileBytes: Int = defaultMaxFileBytes) {
        self.root = FileSystem.realPath(directory)
        self.maxFileBytes = maxFileBytes
    }

    public func handle(_ request: HTTPRequest, _ writer: ResponseWriter) {
        guard let root, let relative = Self.safeRelativePath(request.path) else {
            writer.respond(APIError.notFound(request.path))
            return
        }
        let ifNoneMatch = request.headers["If-None-Match"]
        let ifModifiedSince = request.headers["If-Modified-Since"]
        let path = request.path
        let maxFileBytes = self.maxFileBytes
        ioQueue.async {
            let response = Self.load(root: root, relative: relative, maxFileBytes: maxFileBytes,
                                     ifNoneMatch: ifNoneMatch, ifModifiedSince: ifModifiedSince)
                ?? APIError.notFound(path).response
            writer.loop.execute { writer.respond(response) }
        }
    }

    /// The decoded path below the root, or `nil` for anything unsafe: invalid percent-encoding, NUL,
    /// encoded slashes, empty, `.`/`..` or dot-prefixed segments.
    static func safeRelativePath(_ rawPath: String) -> String? {
        var segments: [String] = []
        let parts = rawPath.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        for (index, part) in parts.enumerated() {
            if part.isEmpty {
                // Only a trailing slash ("/", "/docs/") is allowed.
                guard index == parts.count - 1 else { return nil }
                segments.append("index.html")
                continue
            }
            guard let decoded = FormURLEncoding.decodePathSegment(String(part)),
                  !decoded.contains("/"), !decoded.contains("\0"), !decoded.contains("\\"),
                  !decoded.hasPrefix(".") else { return nil }
            segments.append(decoded)
        }
        if segments.isEmpty { segments = ["index.html"] }
        return segments.joined(separator: "/")
    }

    private static func load(root: String, relative: String, maxFileBytes: Int,
                             ifNoneMatch: String?, ifModifiedSince: String?) -> HTTPResponse? {
        guard var resolved = FileSystem.realPath(root + "/" + relative), resolved.hasPrefix(root + "/") else { return nil }
        var info = stat()
        guard stat(resolved, &info) == 0 else { return nil }
        if (info.st_mode & S_IFMT) == S_IFDIR {
            guard let index = FileSystem.realPath(resolved + "/index.html"), index.hasPrefix(root + "/"),
                  stat(index, &info) == 0 else { return nil }
            resolved = index
        }
        guard (info.st_mode & S_IFMT) == S_IFREG, Int(info.st_size) <= maxFileBytes else { return nil }
        let modified = Int(info.st_mtim.tv_sec)
        let etag = "\"\(String(Int(info.st_size), radix: 16))-\(String(modified, radix: 16))-\(String(Int(info.st_mtim.tv_nsec), radix: 16))\""
        let lastModified = HTTPDate.format(UnixTime(secondsSince1970: Double(modified)))
        var headers: HTTPHeaders = [
            "Content-Type": contentType(for: resolved),
            "ETag": etag,
            "Last-Modified": lastModified,
            "Cache-Control": "no-cache",
            "X-Content-Type-Options": "nosniff",
        ]
        if let ifNoneMatch {
            // RFC 9110 §13.1.2: If-None-Match wins over If-Modified-Since.
            let tags = ifNoneMatch.split(separator: ",").map { $0.trimmingSpaces() }
            if tags.contains("*") || tags.contains(etag) || tags.contains("W/" + etag) {
                return HTTPResponse(status: .notModified, headers: headers)
            }
        } else if let ifModifiedSince, let since = HTTPDate.parse(ifModifiedSince), modified <= since.wholeSeconds {
            return HTTPResponse(status: .notModified, headers: headers)
        }
        guard let data = try? FileSystem.read(path: resolved, limit: maxFileBytes) else { return nil }
        headers.replaceOrAdd(name: "Content-Type", value: contentType(for: resolved))
        return HTTPResponse(status: .ok, headers: headers, body: Array(data))
    }

    static func contentType(for path: String) -> String {
        let name = path.split(separator: "/", omittingEmptySubsequences: false).last ?? ""
        let ext = name.dropFirst().contains(".") ? String(name[name.index(after: name.lastIndex(of: ".")!)...]).lowercased() : ""
        switch ext {
        case "html", "htm": return "text/html; charset=utf-8"
        case "css": return "text/css; charset=utf-8"
        case "js", "mjs": return "text/javascript; charset=utf-8"
        case "json", "map": return "application/json"
        case "svg": return "image/svg+xml"
        case "png": return "image/png"
        case "jpg", "jpeg": return "image/jpeg"
        case "gif": return "image/gif"
        case "ico": return "image/x-icon"
        case "webp": return "image/webp"
        case "woff2": return "font/woff2"
        case "txt", "md": return "text/plain; charset=utf-8"
        case "webmanifest": return "application/manifest+json"
        default: return "application/octet-stream"
        }
    }
}
