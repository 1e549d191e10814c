import protobuf from 'protobufjs';

/**
 * The subset of the ONNX protobuf schema this package writes, as a protobufjs JSON descriptor.
 * Written by hand from the ONNX IR specification: message and field names and field numbers
 * follow the spec so any ONNX reader (onnxruntime, Python onnx) parses what we encode. Fields we
 * never write (training info, functions, sparse tensors, sequence/map types, ...) are omitted:
 * protobuf skips unknown fields, so a model using them still decodes.
 */
export const ONNX_IR_VERSION = 8;
export const ONNX_OPSET = 17;

/** TensorProto.DataType values we use. */
export const DataType = { FLOAT: 1, INT32: 6, INT64: 7, BOOL: 9, DOUBLE: 11 } as const;
export type DataTypeCode = (typeof DataType)[keyof typeof DataType];

/** AttributeProto.AttributeType values we use. */
export const AttributeType = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, FLOATS: 6, INTS: 7 } as const;

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
  root,
  ModelProto: ModelProtoType,
  GraphProto: root.lookupType('onnx.GraphProto'),
  NodeProto: root.lookupType('onnx.NodeProto'),
  TensorProto: root.lookupType('onnx.TensorProto'),
};

// Plain-object shapes of the messages (what the graph builder produces and decodeModel returns).
export interface TensorProto {
  name: string;
  dims: number[];
  dataType: number;
  rawData?: Uint8Array;
  floatData?: number[];
  int64Data?: number[];
  doubleData?: number[];
}
export interface AttributeProto {
  name: string;
  type: number;
  f?: number;
  i?: number;
  s?: Uint8Array;
  t?: TensorProto;
  floats?: number[];
  ints?: number[];
}
export interface NodeProto {
  name: string;
  opType: string;
  domain?: string;
  input: string[];
  output: string[];
  attribute?: AttributeProto[];
}
export interface DimensionProto {
  dimValue?: number;
  dimParam?: string;
}
export interface ValueInfoProto {
  name: string;
  type: { tensorType: { elemType: number; shape: { dim: DimensionProto[] } } };
  docString?: string;
}
export interface GraphProto {
  name: string;
  node: NodeProto[];
  initializer: TensorProto[];
  input: ValueInfoProto[];
  output: ValueInfoProto[];
  docString?: string;
}
export interface ModelProto {
  irVersion: number;
  producerName: string;
  producerVersion: string;
  docString?: string;
  graph: GraphProto;
  opsetImport: { domain: string; version: number }[];
  metadataProps: { key: string; value: string }[];
}

/** Serialise a model to ONNX protobuf bytes. */
export function encodeModel(model: ModelProto): Uint8Array {
  const err = ModelProtoType.verify(model);
  if (err) throw new Error(`invalid ModelProto: ${err}`);
  return ModelProtoType.encode(ModelProtoType.fromObject(model)).finish();
}

/** Parse ONNX protobuf bytes (int64 fields become numbers, bytes stay Uint8Array). */
export function decodeModel(bytes: Uint8Array): ModelProto {
  const msg = ModelProtoType.decode(bytes);
  return ModelProtoType.toObject(msg, { longs: Number, bytes: Uint8Array, arrays: true, defaults: false }) as ModelProto;
}
