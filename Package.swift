// swift-tools-version:6.0
import PackageDescription

/// Settings shared by every Swift target: Swift 6 language mode (strict concurrency) and explicit `any`.
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    // Release builds leave out the run-time exclusivity checks (the compile-time ones stay, and debug
    // builds, which `swift test` runs, keep both): they were about 7 % of the relay's instructions
    // per relayed chunk (README.md, "Performance": instructions per chunk and per stream).
    .unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release)),
]

let package = Package(
    name: "spark-relay",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "SparkKit", targets: ["SparkKit"]),
        .executable(name: "spark-relay", targets: ["spark-relay"]),
        .executable(name: "relay-bench", targets: ["relay-bench"]),
        .executable(name: "FuzzHTTPParser", targets: ["FuzzHTTPParser"]),
        .executable(name: "FuzzSSE", targets: ["FuzzSSE"]),
        .executable(name: "FuzzWebSocket", targets: ["FuzzWebSocket"]),
        .executable(name: "FuzzSparkFrame", targets: ["FuzzSparkFrame"]),
        .executable(name: "FuzzRESP", targets: ["FuzzRESP"]),
        .executable(name: "FuzzSparkHTTPStream", targets: ["FuzzSparkHTTPStream"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.1.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.0.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.1.0"),
        .package(url: "https://github.com/apple/swift-distributed-tracing", from: "1.1.0"),
    ],
    targets: [
        .systemLibrary(name: "COpenSSL", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),
        .target(name: "RelayCrypto", dependencies: ["COpenSSL", "CLinuxShim"], swiftSettings: swiftSettings),
        .systemLibrary(name: "CLinuxShim"),
        .target(name: "RelayIO", dependencies: ["COpenSSL", "CLinuxShim", "RelayCrypto", .product(name: "DequeModule", package: "swift-collections")], swiftSettings: swiftSettings),
        .testTarget(name: "RelayIOTests", dependencies: ["RelayIO"], swiftSettings: swiftSettings),
        .target(name: "HTTPCodec", swiftSettings: swiftSettings),
        .testTarget(name: "HTTPCodecTests", dependencies: ["HTTPCodec", "RelayTestSupport"], swiftSettings: swiftSettings),
        .systemLibrary(name: "CFuzzerShim"),
        .executableTarget(name: "FuzzHTTPParser", dependencies: ["HTTPCodec", "CFuzzerShim"], swiftSettings: swiftSettings),
        .executableTarget(name: "FuzzSSE", dependencies: ["HTTPCodec", "CFuzzerShim"], swiftSettings: swiftSettings),
        .executableTarget(name: "FuzzWebSocket", dependencies: ["WebSocketCodec", "CFuzzerShim"], swiftSettings: swiftSettings),
        .executableTarget(name: "FuzzSparkFrame", dependencies: ["SparkCodec", "JSON", "CFuzzerShim"], swiftSettings: swiftSettings),
        .executableTarget(name: "FuzzRESP", dependencies: ["RESPCodec", "CFuzzerShim"], swiftSettings: swiftSettings),
        .executableTarget(name: "FuzzSparkHTTPStream", dependencies: ["SparkCodec", "JSON", "CFuzzerShim"], swiftSettings: swiftSettings),
        .target(name: "RESPCodec", swiftSettings: swiftSettings),
        .testTarget(name: "RESPCodecTests", dependencies: ["RESPCodec"], swiftSettings: swiftSettings),
        .target(
            name: "RedisClient",
            dependencies: ["RESPCodec", "RelayIO", .product(name: "DequeModule", package: "swift-collections")],
            swiftSettings: swiftSettings),
        .testTarget(name: "RedisClientTests", dependencies: ["RedisClient", "RESPCodec", "RelayIO", "RelayTestSupport"], swiftSettings: swiftSettings),
        .target(name: "WebSocketCodec", dependencies: ["RelayCrypto"], swiftSettings: swiftSettings),
        .testTarget(name: "WebSocketCodecTests", dependencies: ["WebSocketCodec", "RelayCrypto", "RelayTestSupport"], swiftSettings: swiftSettings),
        .target(name: "JSON", exclude: ["README.md"], swiftSettings: swiftSettings),
        .testTarget(name: "JSONTests", dependencies: ["JSON", "RelayTestSupport"], swiftSettings: swiftSettings),
        .target(name: "SparkCodec", dependencies: ["JSON", "RelayCrypto", "WebSocketCodec", "HTTPCodec"], exclude: ["README.md"], swiftSettings: swiftSettings),
        .testTarget(name: "SparkCodecTests", dependencies: ["SparkCodec", "JSON", "RelayCrypto", "RelayTestSupport"], resources: [.copy("Fixtures")], swiftSettings: swiftSettings),
        .target(name: "WSClient", dependencies: ["HTTPCodec", "WebSocketCodec", "RelayIO", "RelayCrypto"], swiftSettings: swiftSettings),
        .target(name: "HTTPClient", dependencies: ["HTTPCodec", "RelayIO"], swiftSettings: swiftSettings),
        .testTarget(name: "HTTPClientTests", dependencies: ["HTTPClient", "HTTPCodec", "RelayIO", "RelayTestSupport"], swiftSettings: swiftSettings),
        .target(name: "RelayTestSupport", swiftSettings: swiftSettings),
        .testTarget(name: "SparkUpstreamTests", dependencies: ["SparkUpstream", "WSClient", "HTTPClient", "SparkSimulator", "SparkCodec", "RelayIO", "RelayTestSupport"], swiftSettings: swiftSettings),
        .target(name: "SparkUpstream", dependencies: ["SparkCodec", "JSON", "WSClient", "HTTPClient", "HTTPCodec", "RelayIO", "WebSocketCodec"], swiftSettings: swiftSettings),
        .target(
            name: "SparkSimulator",
            dependencies: ["RelayIO", "HTTPCodec", "WebSocketCodec", "SparkCodec", "JSON", "RelayCrypto",
                           .product(name: "Logging", package: "swift-log")],
            exclude: ["README.md"],
            swiftSettings: swiftSettings),
        .executableTarget(
            name: "spark-sim",
            dependencies: ["SparkSimulator", "SparkCodec", "RelayIO", "RelayCrypto", .product(name: "ArgumentParser", package: "swift-argument-parser"),
                           .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "SparkSimulatorTests",
            dependencies: ["RelayTestSupport", "SparkSimulator", "SparkCodec", "WebSocketCodec", "HTTPCodec", "RelayIO", "RelayCrypto", "COpenSSL"],
            exclude: ["Interop"],
            swiftSettings: swiftSettings),
        .target(
            name: "Relay",
            dependencies: [
                "HTTPCodec", "RelayIO", "RelayCrypto", "SparkCodec", "JSON", "WSClient", "SparkUpstream", "SparkSimulator", "RedisClient", "RESPCodec",
                "RelayTracing",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: swiftSettings),
        .executableTarget(
            name: "spark-relay",
            dependencies: ["Relay", "SparkCodec", "SparkSimulator", "RelayCrypto", "RelayIO", .product(name: "ArgumentParser", package: "swift-argument-parser"),
                           .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings),
        .testTarget(name: "RelayTests", dependencies: ["Relay", "RelayTestSupport", "RedisClient", "RESPCodec", "HTTPCodec", "RelayIO", "SparkSimulator", "SparkCodec", "JSON", "RelayTracing",
                                                       .product(name: "Logging", package: "swift-log"), .product(name: "Tracing", package: "swift-distributed-tracing")], swiftSettings: swiftSettings),
        .testTarget(name: "RelayCryptoTests", dependencies: ["RelayCrypto"], swiftSettings: swiftSettings),
        .target(
            name: "SparkKit",
            dependencies: ["SparkCodec", "SparkUpstream", "RelayIO", .product(name: "DequeModule", package: "swift-collections")],
            exclude: ["README.md"],
            swiftSettings: swiftSettings),
        .testTarget(name: "SparkKitTests", dependencies: ["SparkKit", "SparkSimulator", "SparkCodec", "SparkUpstream", "RelayIO"], swiftSettings: swiftSettings),
        .executableTarget(
            name: "spark-chat",
            dependencies: ["SparkKit", "SparkSimulator", "RelayIO"],
            swiftSettings: swiftSettings),
        .target(
            name: "RelayBenchCore",
            dependencies: ["SparkCodec", "JSON", .product(name: "Histogram", package: "hdrhistogram-swift")],
            swiftSettings: swiftSettings),
        .executableTarget(
            name: "relay-bench",
            dependencies: ["RelayBenchCore", "RelayIO", "HTTPCodec", "WSClient", "WebSocketCodec", "SparkCodec", "JSON", "SparkSimulator",
                           "RelayCrypto", "RESPCodec", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            exclude: ["README.md"],
            swiftSettings: swiftSettings),
        .testTarget(name: "RelayBenchTests", dependencies: ["RelayBenchCore"], swiftSettings: swiftSettings),
        .target(
            name: "RelayTracing",
            dependencies: ["HTTPClient", "HTTPCodec", "JSON", "RelayCrypto", "RelayIO", "WebSocketCodec",
                           .product(name: "Tracing", package: "swift-distributed-tracing")],
            exclude: ["README.md"],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "RelayTracingTests",
            dependencies: ["RelayTracing", "HTTPClient", "HTTPCodec", "JSON", "RelayIO",
                           .product(name: "Tracing", package: "swift-distributed-tracing")],
            swiftSettings: swiftSettings),
    ],
    swiftLanguageModes: [.v6]
)
