// dsc_cuda_query: what the CUDA runtime says about a device.
#include <cuda_runtime_api.h>
#include <string.h>

#include "descent.h"

extern "C" dsc_status dsc_cuda_query(int device, dsc_cuda_info *info) {
    if (!info) return DSC_ERR_INVALID_ARGUMENT;
    memset(info, 0, sizeof *info);
    info->device = device;
    int count = 0;
    const cudaError_t e = cudaGetDeviceCount(&count);
    if (e != cudaSuccess || count == 0) {
        cudaGetLastError();
        info->message = e != cudaSuccess ? cudaGetErrorString(e) : "no CUDA device";
        return DSC_ERR_UNSUPPORTED;
    }
    if (device < 0 || device >= count) {
        info->message = "device ordinal out of range";
        return DSC_ERR_INVALID_ARGUMENT;
    }
    cudaDeviceProp prop;
    if (cudaGetDeviceProperties(&prop, device) != cudaSuccess) {
        info->message = "cudaGetDeviceProperties failed";
        return DSC_ERR_DEVICE;
    }
    info->available = 1;
    info->cc_major = prop.major;
    info->cc_minor = prop.minor;
    info->integrated = prop.integrated;
    info->total_memory = prop.totalGlobalMem;
    size_t len = strnlen(prop.name, sizeof prop.name);
    if (len > sizeof info->name - 1) len = sizeof info->name - 1;
    memcpy(info->name, prop.name, len);
    info->name[len] = '\0';
    info->message = "ok";
    return DSC_OK;
}
