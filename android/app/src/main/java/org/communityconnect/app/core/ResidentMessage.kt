/*
 * The words to show for a failed call. Core's errors already carry messages written for the
 * resident in their `reason`; the generated exceptions' own `message` is a debug rendering.
 */
package org.communityconnect.app.core

import org.communityconnect.ffi.ConnectException
import org.communityconnect.ffi.StickerScanException

fun Throwable.residentMessage(): String = when (this) {
    is ConnectException.Network -> reason
    is ConnectException.Rejected -> reason
    is ConnectException.NeedsConfirmation -> reason
    is ConnectException.Storage -> reason
    is ConnectException.Other -> reason
    is ConnectException.NeedsLogin -> "Log in first."
    is ConnectException.NotFound -> "Not found."
    is ConnectException.WrongKey -> "The local data cannot be opened with this device's key."
    is StickerScanException.NotASticker -> reason
    is StickerScanException.OtherHost -> reason
    is StickerScanException.UnknownKey -> reason
    is StickerScanException.UpdateApp -> reason
    is StickerScanException.ForgedSticker -> reason
    else -> message ?: javaClass.simpleName
}
