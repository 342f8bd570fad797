// The CUDA caching allocator's figures for one device (what torch.cuda.memory_allocated / max_memory_allocated /
// memory_reserved / max_memory_reserved report in Python), which DJL's JNI does not expose. Built by
// tools/gpu/build-djl-jni.sh for cu flavors and loaded by dev.vlm3d.bench.DeviceMemory after DJL has loaded
// libtorch, so the allocator here is the one the engine allocates from.
#include <jni.h>

#include <c10/cuda/CUDACachingAllocator.h>

#include <exception>

namespace {
void throwJava(JNIEnv* env, const char* message) {
  jclass cls = env->FindClass("java/lang/IllegalStateException");
  if (cls != nullptr) {
    env->ThrowNew(cls, message);
  }
}
}  // namespace

extern "C" {

// [allocated current, allocated peak, reserved current, reserved peak] in bytes, aggregated over pools
// (StatType::AGGREGATE is index 0 in every libtorch release that has these statistics).
JNIEXPORT jlongArray JNICALL Java_dev_vlm3d_bench_DeviceMemory_cudaAllocatorStats(JNIEnv* env, jclass, jint device) {
  try {
    auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(static_cast<c10::DeviceIndex>(device));
    jlong values[4] = {static_cast<jlong>(stats.allocated_bytes[0].current),
                       static_cast<jlong>(stats.allocated_bytes[0].peak),
                       static_cast<jlong>(stats.reserved_bytes[0].current),
                       static_cast<jlong>(stats.reserved_bytes[0].peak)};
    jlongArray out = env->NewLongArray(4);
    env->SetLongArrayRegion(out, 0, 4, values);
    return out;
  } catch (const std::exception& e) {
    throwJava(env, e.what());
    return nullptr;
  }
}

JNIEXPORT void JNICALL Java_dev_vlm3d_bench_DeviceMemory_cudaResetPeak(JNIEnv* env, jclass, jint device) {
  try {
    c10::cuda::CUDACachingAllocator::resetPeakStats(static_cast<c10::DeviceIndex>(device));
  } catch (const std::exception& e) {
    throwJava(env, e.what());
  }
}

}  // extern "C"
