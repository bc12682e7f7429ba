/// A failure reading or writing an HDF5 file. The description names the file,
/// the object inside it and what is wrong:
/// `mnist.h5: no dataset 'train/imgs' (available: train/images, train/labels)`.
public struct HDF5Error: Error, CustomStringConvertible, Equatable, Sendable {
    public enum Kind: Sendable, Equatable {
        /// The file does not exist or cannot be read or created.
        case fileAccess
        /// The file exists but does not start with an HDF5 signature.
        case notHDF5
        /// The file looks like HDF5 but its structure cannot be read.
        case corrupt
        /// No group, dataset or attribute at the given path.
        case notFound
        /// Something already exists where a new object was to be created.
        case alreadyExists
        /// The object exists but is of another kind (a group where a dataset was expected).
        case wrongKind
        /// The stored element type has no Flint dtype or does not convert.
        case unsupportedType
        /// Shapes, ranges or buffer sizes do not fit the dataset.
        case invalidArgument
        /// The file was closed with `close()`.
        case closed
        /// libhdf5 reported a failure while reading or writing.
        case io
        /// libhdf5 itself cannot be loaded (not installed, or another version than Flint was built with).
        case unavailable
    }

    public let kind: Kind
    /// The file's path as it was given to `HDF5File.open` or `HDF5File.create`.
    public let file: String
    /// The path inside the file, when the error concerns one object.
    public let object: String?
    public let message: String

    public init(_ kind: Kind, file: String, object: String? = nil, _ message: String) {
        self.kind = kind
        self.file = file
        self.object = object
        self.message = message
    }

    public var description: String { "\(file): \(message)" }
}
