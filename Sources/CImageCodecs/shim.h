// Decoding PNG (libpng) and JPEG (libjpeg-turbo) files held in memory into
// 8-bit pixels, rows top to bottom, channels interleaved; encoding RGB pixels
// as PNG (plots).
//
// Both libraries report errors by longjmp, which Swift cannot catch, so the
// decoders live here as inline C: each catches its library's errors with
// setjmp and returns 0 with a message instead.
#ifndef FLINT_IMAGE_CODECS_SHIM_H
#define FLINT_IMAGE_CODECS_SHIM_H

#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jpeglib.h>

typedef struct {
    unsigned char *pixels;  // malloc'ed, width * height * channels bytes; free with flint_image_free
    int width;
    int height;
    int channels;           // 1 (gray) or 3 (RGB); alpha is dropped as PIL's convert does
    char message[256];
} flint_image;

static inline void flint_image_free(flint_image *image) {
    free(image->pixels);
    image->pixels = NULL;
}

// MARK: PNG

typedef struct {
    const unsigned char *data;
    size_t size;
    size_t offset;
} flint_png_source;

static void flint_png_read(png_structp png, png_bytep out, png_size_t count) {
    flint_png_source *source = (flint_png_source *)png_get_io_ptr(png);
    if (source->offset + count > source->size) png_error(png, "the file ends early");
    memcpy(out, source->data + source->offset, count);
    source->offset += count;
}

static void flint_png_error(png_structp png, png_const_charp message) {
    flint_image *image = (flint_image *)png_get_error_ptr(png);
    snprintf(image->message, sizeof image->message, "%s", message);
    png_longjmp(png, 1);
}

static void flint_png_warning(png_structp png, png_const_charp message) {
    (void)png;
    (void)message;
}

/// Decodes a PNG: palettes and low bit depths expand to 8 bits, 16 bits are
/// cut to 8, alpha is dropped; no gamma correction (as PIL). Returns 1 on success.
static inline int flint_png_decode(const unsigned char *data, size_t size, flint_image *image) {
    memset(image, 0, sizeof *image);
    if (size < 8 || png_sig_cmp(data, 0, 8) != 0) {
        snprintf(image->message, sizeof image->message, "not a PNG file");
        return 0;
    }
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, image, flint_png_error, flint_png_warning);
    if (!png) {
        snprintf(image->message, sizeof image->message, "cannot start libpng");
        return 0;
    }
    png_infop info = png_create_info_struct(png);
    png_bytep *volatile rows = NULL;
    if (!info || setjmp(png_jmpbuf(png))) {
        png_destroy_read_struct(&png, info ? &info : NULL, NULL);
        free((void *)rows);
        flint_image_free(image);
        if (image->message[0] == 0) snprintf(image->message, sizeof image->message, "cannot decode the PNG");
        return 0;
    }
    flint_png_source source = {data, size, 0};
    png_set_read_fn(png, &source, flint_png_read);
    png_read_info(png, info);
    png_set_expand(png);
    png_set_strip_16(png);
    png_set_strip_alpha(png);
    png_set_interlace_handling(png);
    png_read_update_info(png, info);
    int width = (int)png_get_image_width(png, info);
    int height = (int)png_get_image_height(png, info);
    int channels = (int)png_get_channels(png, info);
    if (channels != 1 && channels != 3) png_error(png, "unsupported PNG channel layout");
    size_t stride = (size_t)width * (size_t)channels;
    image->pixels = (unsigned char *)malloc(stride * (size_t)height + 1);
    rows = (png_bytep *)malloc(sizeof(png_bytep) * (size_t)(height > 0 ? height : 1));
    if (!image->pixels || !rows) png_error(png, "out of memory");
    for (int y = 0; y < height; y++) rows[y] = image->pixels + (size_t)y * stride;
    png_read_image(png, rows);
    png_read_end(png, NULL);
    png_destroy_read_struct(&png, &info, NULL);
    free((void *)rows);
    image->width = width;
    image->height = height;
    image->channels = channels;
    return 1;
}

// MARK: PNG encoding

typedef struct {
    unsigned char *data;  // malloc'ed; free with free()
    size_t size;
    size_t capacity;
} flint_png_output;

static void flint_png_append(png_structp png, png_bytep bytes, png_size_t count) {
    flint_png_output *out = (flint_png_output *)png_get_io_ptr(png);
    if (out->size + count > out->capacity) {
        size_t capacity = out->capacity ? out->capacity * 2 : 65536;
        while (capacity < out->size + count) capacity *= 2;
        unsigned char *grown = (unsigned char *)realloc(out->data, capacity);
        if (!grown) png_error(png, "out of memory");
        out->data = grown;
        out->capacity = capacity;
    }
    memcpy(out->data + out->size, bytes, count);
    out->size += count;
}

static void flint_png_flush(png_structp png) { (void)png; }

static void flint_png_encode_error(png_structp png, png_const_charp message) {
    snprintf((char *)png_get_error_ptr(png), 256, "%s", message);
    png_longjmp(png, 1);
}

/// Encodes 8-bit RGB pixels (rows top to bottom) as a PNG into `out`, which
/// starts zeroed. Returns 1, or 0 with a message in `message` (256 bytes).
static inline int flint_png_encode_rgb(const unsigned char *pixels, int width, int height, flint_png_output *out,
                                       char *message) {
    message[0] = 0;
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, message, flint_png_encode_error, flint_png_warning);
    if (!png) {
        snprintf(message, 256, "cannot start libpng");
        return 0;
    }
    png_infop info = png_create_info_struct(png);
    if (!info || setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, info ? &info : NULL);
        if (message[0] == 0) snprintf(message, 256, "cannot encode the PNG");
        return 0;
    }
    png_set_write_fn(png, out, flint_png_append, flint_png_flush);
    png_set_IHDR(png, info, (png_uint_32)width, (png_uint_32)height, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    for (int y = 0; y < height; y++) png_write_row(png, pixels + (size_t)y * (size_t)width * 3);
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    return 1;
}

// MARK: JPEG

typedef struct {
    struct jpeg_error_mgr base;
    jmp_buf jump;
} flint_jpeg_error_manager;

static void flint_jpeg_error_exit(j_common_ptr info) {
    flint_jpeg_error_manager *errors = (flint_jpeg_error_manager *)info->err;
    longjmp(errors->jump, 1);
}

static void flint_jpeg_quiet(j_common_ptr info, int level) {
    (void)info;
    (void)level;
}

/// Decodes a baseline or progressive JPEG to gray (one component) or RGB,
/// with libjpeg's defaults (islow DCT, fancy upsampling), as PIL does.
/// Returns 1 on success.
static inline int flint_jpeg_decode(const unsigned char *data, unsigned long size, flint_image *image) {
    memset(image, 0, sizeof *image);
    struct jpeg_decompress_struct info;
    flint_jpeg_error_manager errors;
    info.err = jpeg_std_error(&errors.base);
    errors.base.error_exit = flint_jpeg_error_exit;
    errors.base.emit_message = flint_jpeg_quiet;
    if (setjmp(errors.jump)) {
        char text[JMSG_LENGTH_MAX];
        (*info.err->format_message)((j_common_ptr)&info, text);
        snprintf(image->message, sizeof image->message, "%s", text);
        jpeg_destroy_decompress(&info);
        flint_image_free(image);
        return 0;
    }
    jpeg_create_decompress(&info);
    jpeg_mem_src(&info, data, size);
    jpeg_read_header(&info, TRUE);
    info.out_color_space = info.num_components == 1 ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_start_decompress(&info);
    size_t stride = (size_t)info.output_width * (size_t)info.output_components;
    image->pixels = (unsigned char *)malloc(stride * info.output_height + 1);
    if (!image->pixels) {
        snprintf(image->message, sizeof image->message, "out of memory");
        jpeg_destroy_decompress(&info);
        return 0;
    }
    while (info.output_scanline < info.output_height) {
        JSAMPROW row = image->pixels + (size_t)info.output_scanline * stride;
        jpeg_read_scanlines(&info, &row, 1);
    }
    image->width = (int)info.output_width;
    image->height = (int)info.output_height;
    image->channels = info.output_components;
    jpeg_finish_decompress(&info);
    jpeg_destroy_decompress(&info);
    return 1;
}

#endif
