import JSON

/// Encodes span records as one OTLP/HTTP JSON `ExportTraceServiceRequest` (sans-I/O).
///
/// The OTLP JSON mapping (opentelemetry-proto, "JSON Protobuf Encoding") is protobuf's canonical
/// JSON mapping with OTLP's exceptions, which this follows:
/// - field names in lowerCamelCase (`traceId`, `startTimeUnixNano`, `droppedAttributesCount`);
/// - `traceId`, `spanId`, `parentSpanId` as hex strings, not base64;
/// - enums (`kind`, `status.code`) as integers;
/// - 64-bit integers (`startTimeUnixNano`, `endTimeUnixNano`, `timeUnixNano`, `intValue`) as
///   decimal strings; 32-bit counts as numbers;
/// - doubles as JSON numbers, and `"NaN"`, `"Infinity"`, `"-Infinity"` for the values JSON lacks;
/// - fields with their default value (zero, empty, unset) left out.
///
/// One `resourceSpans` entry (the resource: `service.name` then `resourceAttributes`), one
/// `scopeSpans` entry (the instrumentation scope), the spans in the order given.
public struct OTLPJSONEncoder: Sendable {
    /// The resource's attributes, `service.name` first.
    public let resourceAttributes: [SpanRecord.Attribute]
    /// The instrumentation scope's name.
    public let scopeName: String
    /// The instrumentation scope's version, if any.
    public let scopeVersion: String?

    /// An encoder for spans of `serviceName`; `resourceAttributes` (e.g. `service.version`,
    /// `service.instance.id`) follow `service.name`, which they cannot replace.
    public init(serviceName: String, resourceAttributes: [SpanRecord.Attribute] = [], scopeName: String = "spark-relay", scopeVersion: String? = nil) {
        self.resourceAttributes = [SpanRecord.Attribute("service.name", .string(serviceName))]
            + resourceAttributes.filter { $0.key != "service.name" }
        self.scopeName = scopeName
        self.scopeVersion = scopeVersion
    }

    /// The request body for `records`.
    public func encode(_ records: some Collection<SpanRecord>) -> [UInt8] {
        var writer = JSONWriter(capacity: 512 + records.count * 768)
        writer.beginObject()
        writer.plainKey("resourceSpans")
        writer.beginArray()
        writer.beginObject()
        writer.plainKey("resource")
        writer.beginObject()
        writeAttributes(resourceAttributes, into: &writer)
        writer.endObject()
        writer.plainKey("scopeSpans")
        writer.beginArray()
        writer.beginObject()
        writer.plainKey("scope")
        writer.beginObject()
        writer.plainKey("name")
        writer.string(scopeName)
        if let scopeVersion {
            writer.plainKey("version")
            writer.string(scopeVersion)
        }
        writer.endObject()
        writer.plainKey("spans")
        writer.beginArray()
        for record in records { writeSpan(record, into: &writer) }
        writer.endArray()
        writer.endObject()
        writer.endArray()
        writer.endObject()
        writer.endArray()
        writer.endObject()
        return writer.bytes
    }

    private func writeSpan(_ record: SpanRecord, into writer: inout JSONWriter) {
        writer.beginObject()
        writer.plainKey("traceId")
        writer.plainString { record.traceID.appendHex(to: &$0) }
        writer.plainKey("spanId")
        writer.plainString { record.spanID.appendHex(to: &$0) }
        if let traceState = record.traceState {
            writer.plainKey("traceState")
            writer.string(traceState.headerValue)
        }
        if let parent = record.parentSpanID {
            writer.plainKey("parentSpanId")
            writer.plainString { parent.appendHex(to: &$0) }
        }
        writer.plainKey("name")
        writer.string(record.name)
        writer.plainKey("kind")
        writer.int(record.kind.rawValue)
        writer.plainKey("startTimeUnixNano")
        writer.decimalString(record.startTimeUnixNano)
        writer.plainKey("endTimeUnixNano")
        writer.decimalString(record.endTimeUnixNano)
        writeAttributes(record.attributes, into: &writer)
        writeCount("droppedAttributesCount", record.droppedAttributesCount, into: &writer)
        if !record.events.isEmpty {
            writer.plainKey("events")
            writer.beginArray()
            for event in record.events {
                writer.beginObject()
                writer.plainKey("timeUnixNano")
                writer.decimalString(event.timeUnixNano)
                writer.plainKey("name")
                writer.string(event.name)
                writeAttributes(event.attributes, into: &writer)
                writeCount("droppedAttributesCount", event.droppedAttributesCount, into: &writer)
                writer.endObject()
            }
            writer.endArray()
        }
        writeCount("droppedEventsCount", record.droppedEventsCount, into: &writer)
        if !record.links.isEmpty {
            writer.plainKey("links")
            writer.beginArray()
            for link in record.links {
                writer.beginObject()
                writer.plainKey("traceId")
                writer.plainString { link.traceID.appendHex(to: &$0) }
                writer.plainKey("spanId")
                writer.plainString { link.spanID.appendHex(to: &$0) }
                if let traceState = link.traceState {
                    writer.plainKey("traceState")
                    writer.string(traceState.headerValue)
                }
                writeAttributes(link.attributes, into: &writer)
                writeCount("droppedAttributesCount", link.droppedAttributesCount, into: &writer)
                writer.endObject()
            }
            writer.endArray()
        }
        writeCount("droppedLinksCount", record.droppedLinksCount, into: &writer)
        switch record.status {
        case .unset:
            break
        case .ok:
            writer.plainKey("status")
            writer.beginObject()
            writer.plainKey("code")
            writer.int(1)
            writer.endObject()
        case .error(let message):
            writer.plainKey("status")
            writer.beginObject()
            if let message, !message.isEmpty {
                writer.plainKey("message")
                writer.string(message)
            }
            writer.plainKey("code")
            writer.int(2)
            writer.endObject()
        }
        writer.endObject()
    }

    private func writeCount(_ name: StaticString, _ count: Int, into writer: inout JSONWriter) {
        guard count > 0 else { return }
        writer.plainKey(name)
        writer.int(min(count, Int(UInt32.max)))
    }

    private func writeAttributes(_ attributes: [SpanRecord.Attribute], into writer: inout JSONWriter) {
        guard !attributes.isEmpty else { return }
        writer.plainKey("attributes")
        writer.beginArray()
        for attribute in attributes {
            writer.beginObject()
            writer.plainKey("key")
            writer.string(attribute.key)
            writer.plainKey("value")
            writeValue(attribute.value, into: &writer)
            writer.endObject()
        }
        writer.endArray()
    }

    /// An OTLP `AnyValue` object.
    private func writeValue(_ value: SpanRecord.Value, into writer: inout JSONWriter) {
        writer.beginObject()
        switch value {
        case .string(let text):
            writer.plainKey("stringValue")
            writer.string(text)
        case .int(let number):
            writer.plainKey("intValue")
            writer.decimalString(number)
        case .double(let number):
            writer.plainKey("doubleValue")
            writeDouble(number, into: &writer)
        case .bool(let flag):
            writer.plainKey("boolValue")
            writer.bool(flag)
        case .stringArray(let values):
            writeArray(values.map(SpanRecord.Value.string), into: &writer)
        case .intArray(let values):
            writeArray(values.map(SpanRecord.Value.int), into: &writer)
        case .doubleArray(let values):
            writeArray(values.map(SpanRecord.Value.double), into: &writer)
        case .boolArray(let values):
            writeArray(values.map(SpanRecord.Value.bool), into: &writer)
        }
        writer.endObject()
    }

    private func writeArray(_ values: [SpanRecord.Value], into writer: inout JSONWriter) {
        writer.plainKey("arrayValue")
        writer.beginObject()
        if !values.isEmpty {
            writer.plainKey("values")
            writer.beginArray()
            for value in values { writeValue(value, into: &writer) }
            writer.endArray()
        }
        writer.endObject()
    }

    private func writeDouble(_ number: Double, into writer: inout JSONWriter) {
        if number.isNaN {
            writer.string("NaN")
        } else if number.isInfinite {
            writer.string(number < 0 ? "-Infinity" : "Infinity")
        } else {
            writer.double(number)
        }
    }
}
