import protobuf from 'protobufjs';

/*
 * The subset of the ONNX protobuf schema this package writes, as a protobufjs JSON descriptor.
 * Written by hand from the ONNX IR specification: message and field names and field numbers
 * follow the spec so any ONNX reader (onnxruntime, Python onnx) parses what we encode. Fields we
 * never write (training info, functions, sparse tensors, sequence/map types, ...) are omitted:
 * protobuf skips unknown fields, so a model using them still decodes.
 */

/** The ONNX IR version of every exported model (8, read by onnxruntime 1.x and onnx >= 1.10). */
export const ONNX_IR_VERSION = 8;
/**
 * The opset of every exported model's default domain: 17. Opsets 17-21 are safe with onnxruntime
 * 1.30; at 22 and above `RandomNormalLike` has no CPU kernel.
 */
export const ONNX_OPSET = 17;

/** TensorProto.DataType values we use. */
export const DataType = {
  /** float32. */
  FLOAT: 1,
  /** int32. */
  INT32: 6,
  /** int64 (axes, shapes). */
  INT64: 7,
  /** bool. */
  BOOL: 9,
  /** float64. */
  DOUBLE: 11,
} as const;
/** One of the {@link DataType} codes. */
export type DataTypeCode = (typeof DataType)[keyof typeof DataType];

/** AttributeProto.AttributeType values we use. */
export const AttributeType = {
  /** A float. */
  FLOAT: 1,
  /** An int64. */
  INT: 2,
  /** Bytes (a UTF-8 string). */
  STRING: 3,
  /** A tensor. */
  TENSOR: 4,
  /** A list of floats. */
  FLOATS: 6,
  /** A list of int64. */
  INTS: 7,
} as const;

const descriptor = {
  nested: {
    onnx: {
      nested: {
        StringStringEntryProto: {
          fields: { key: { type: 'string', id: 1 }, value: { type: 'string', id: 2 } },
        },
        OperatorSetIdProto: {
          fields: { domain: { type: 'string', id: 1 }, version: { type: 'int64', id: 2 } },
        },
        TensorProto: {
          fields: {
            dims: { rule: 'repeated', type: 'int64', id: 1 },
            dataType: { type: 'int32', id: 2 },
            floatData: { rule: 'repeated', type: 'float', id: 4 },
            int32Data: { rule: 'repeated', type: 'int32', id: 5 },
            int64Data: { rule: 'repeated', type: 'int64', id: 7 },
            name: { type: 'string', id: 8 },
            rawData: { type: 'bytes', id: 9 },
            doubleData: { rule: 'repeated', type: 'double', id: 10 },
            docString: { type: 'string', id: 12 },
          },
        },
        AttributeProto: {
          fields: {
            name: { type: 'string', id: 1 },
            f: { type: 'float', id: 2 },
            i: { type: 'int64', id: 3 },
            s: { type: 'bytes', id: 4 },
            t: { type: 'TensorProto', id: 5 },
            floats: { rule: 'repeated', type: 'float', id: 7 },
            ints: { rule: 'repeated', type: 'int64', id: 8 },
            docString: { type: 'string', id: 13 },
            type: { type: 'int32', id: 20 },
          },
        },
        NodeProto: {
          fields: {
            input: { rule: 'repeated', type: 'string', id: 1 },
            output: { rule: 'repeated', type: 'string', id: 2 },
            name: { type: 'string', id: 3 },
            opType: { type: 'string', id: 4 },
            attribute: { rule: 'repeated', type: 'AttributeProto', id: 5 },
            docString: { type: 'string', id: 6 },
            domain: { type: 'string', id: 7 },
          },
        },
        TensorShapeProto: {
          fields: { dim: { rule: 'repeated', type: 'Dimension', id: 1 } },
          nested: {
            Dimension: {
              oneofs: { value: { oneof: ['dimValue', 'dimParam'] } },
              fields: {
                dimValue: { type: 'int64', id: 1 },
                dimParam: { type: 'string', id: 2 },
                denotation: { type: 'string', id: 3 },
              },
            },
          },
        },
        TypeProto: {
          oneofs: { value: { oneof: ['tensorType'] } },
          fields: { tensorType: { type: 'Tensor', id: 1 }, denotation: { type: 'string', id: 6 } },
          nested: {
            Tensor: {
              fields: { elemType: { type: 'int32', id: 1 }, shape: { type: 'TensorShapeProto', id: 2 } },
            },
          },
        },
        ValueInfoProto: {
          fields: {
            name: { type: 'string', id: 1 },
            type: { type: 'TypeProto', id: 2 },
            docString: { type: 'string', id: 3 },
          },
        },
        GraphProto: {
          fields: {
            node: { rule: 'repeated', type: 'NodeProto', id: 1 },
            name: { type: 'string', id: 2 },
            initializer: { rule: 'repeated', type: 'TensorProto', id: 5 },
            docString: { type: 'string', id: 10 },
            input: { rule: 'repeated', type: 'ValueInfoProto', id: 11 },
            output: { rule: 'repeated', type: 'ValueInfoProto', id: 12 },
            valueInfo: { rule: 'repeated', type: 'ValueInfoProto', id: 13 },
          },
        },
        ModelProto: {
          fields: {
            irVersion: { type: 'int64', id: 1 },
            producerName: { type: 'string', id: 2 },
            producerVersion: { type: 'string', id: 3 },
            domain: { type: 'string', id: 4 },
            modelVersion: { type: 'int64', id: 5 },
            docString: { type: 'string', id: 6 },
            graph: { type: 'GraphProto', id: 7 },
            opsetImport: { rule: 'repeated', type: 'OperatorSetIdProto', id: 8 },
            metadataProps: { rule: 'repeated', type: 'StringStringEntryProto', id: 14 },
          },
        },
      },
    },
  },
};

const root = protobuf.Root.fromJSON(descriptor);
const ModelProtoType = root.lookupType('onnx.ModelProto');

/** The protobufjs message types, for callers that need lower-level access (tests, tools). */
export const onnxTypes = {
  /** The protobufjs root of the descriptor. */
  root,
  /** onnx.ModelProto. */
  ModelProto: ModelProtoType,
  /** onnx.GraphProto. */
  GraphProto: root.lookupType('onnx.GraphProto'),
  /** onnx.NodeProto. */
  NodeProto: root.lookupType('onnx.NodeProto'),
  /** onnx.TensorProto. */
  TensorProto: root.lookupType('onnx.TensorProto'),
};

// Plain-object shapes of the messages (what the graph builder produces and decodeModel returns).
/** onnx.TensorProto as a plain object: an initializer. */
export interface TensorProto {
  /** Value name, unique in the graph. */
  name: string;
  /** Dimensions ([] for a scalar). */
  dims: number[];
  /** A {@link DataType} code. */
  dataType: number;
  /** The values as little-endian bytes (what we write). */
  rawData?: Uint8Array;
  /** float32 values (another encoding readers may meet). */
  floatData?: number[];
  /** int64 values. */
  int64Data?: number[];
  /** float64 values. */
  doubleData?: number[];
}
/** onnx.AttributeProto as a plain object: one node attribute; the field named by `type` is set. */
export interface AttributeProto {
  /** Attribute name, e.g. "axis". */
  name: string;
  /** An {@link AttributeType} code. */
  type: number;
  /** FLOAT value. */
  f?: number;
  /** INT value. */
  i?: number;
  /** STRING value (UTF-8 bytes). */
  s?: Uint8Array;
  /** TENSOR value. */
  t?: TensorProto;
  /** FLOATS value. */
  floats?: number[];
  /** INTS value. */
  ints?: number[];
}
/** onnx.NodeProto as a plain object: one operator call. */
export interface NodeProto {
  /** Node name, unique in the graph. */
  name: string;
  /** Operator, e.g. "MatMul". */
  opType: string;
  /** Operator domain; absent or "" for the default ONNX domain. */
  domain?: string;
  /** Input value names ("" for an omitted optional input). */
  input: string[];
  /** Output value names. */
  output: string[];
  /** Attributes, if any. */
  attribute?: AttributeProto[];
}
/** onnx.TensorShapeProto.Dimension: a fixed size or a symbolic name. */
export interface DimensionProto {
  /** A fixed size. */
  dimValue?: number;
  /** A symbolic (dynamic) size, e.g. "N". */
  dimParam?: string;
}
/** onnx.ValueInfoProto as a plain object: a graph input or output and its tensor type. */
export interface ValueInfoProto {
  /** Value name. */
  name: string;
  /** Element type ({@link DataType} code) and shape. */
  type: {
    /** The tensor type. */
    tensorType: {
      /** A {@link DataType} code. */
      elemType: number;
      /** The dimensions. */
      shape: {
        /** One entry per dimension. */
        dim: DimensionProto[];
      };
    };
  };
  /** Optional description. */
  docString?: string;
}
/** onnx.GraphProto as a plain object. */
export interface GraphProto {
  /** Graph name (the method). */
  name: string;
  /** Nodes in topological order. */
  node: NodeProto[];
  /** Weights and constants. */
  initializer: TensorProto[];
  /** Graph inputs. */
  input: ValueInfoProto[];
  /** Graph outputs. */
  output: ValueInfoProto[];
  /** Optional description. */
  docString?: string;
}
/** onnx.ModelProto as a plain object: what {@link encodeModel} takes and {@link decodeModel} returns. */
export interface ModelProto {
  /** IR version ({@link ONNX_IR_VERSION}). */
  irVersion: number;
  /** Producer name ({@link PRODUCER_NAME}). */
  producerName: string;
  /** Producer version. */
  producerVersion: string;
  /** Optional description. */
  docString?: string;
  /** The graph. */
  graph: GraphProto;
  /** Operator sets used. */
  opsetImport: {
    /** Domain; "" is the default ONNX domain. */
    domain: string;
    /** Opset version. */
    version: number;
  }[];
  /** metadata_props: the model card's `sngp.*` entries. */
  metadataProps: {
    /** Key. */
    key: string;
    /** Value. */
    value: string;
  }[];
}

/**
 * Serialise a model to ONNX protobuf bytes.
 * @param model - the model as a plain object.
 * @returns the .onnx file contents.
 * @throws Error if the object does not fit the schema (a programming error).
 */
export function encodeModel(model: ModelProto): Uint8Array {
  const err = ModelProtoType.verify(model);
  if (err) throw new Error(`invalid ModelProto: ${err}`);
  return ModelProtoType.encode(ModelProtoType.fromObject(model)).finish();
}

/**
 * Parse ONNX protobuf bytes (int64 fields become numbers, bytes stay Uint8Array). Fields outside
 * our schema subset are dropped.
 * @param bytes - an .onnx file.
 * @returns the model as a plain object.
 * @throws Error from protobufjs if the bytes are not a valid protobuf message.
 */
export function decodeModel(bytes: Uint8Array): ModelProto {
  const msg = ModelProtoType.decode(bytes);
  return ModelProtoType.toObject(msg, { longs: Number, bytes: Uint8Array, arrays: true, defaults: false }) as ModelProto;
}
